import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { MetricsStore, PipelineCounters } from '../../shared/ports';
import type { CaptureCheckpoints } from '../capture';
import type { EventLog } from '../eventlog';
import type { FunctionHttpHandler } from '../functions';
import { describeError, type Logger } from '../log';
import type { FunctionRoute } from '../routes';
import type { CallName, FromWorker, StoreCalls, StoreWorkerData, ToWorker, WireRoute } from './protocol';

/**
 * The worker's old generation: its live data stays under ~70 MB, but uncapped V8 lets garbage grow
 * its heap past 170 MB at full speed, which with the main thread's heap strains the memory target.
 */
const WORKER_OLD_GENERATION_MB = 192;

/** How long a graceful stop of the worker may take before it is terminated. */
const STOP_TIMEOUT_MS = 8_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * The main thread's handle on the store worker (storeThread/worker.ts): starts it, forwards calls and
 * the event log's durable notices to it, and stops it. If the worker dies, every call under way fails
 * and `onFailure` is told once.
 */
export class StoreThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private stopping: Promise<void> | undefined;
  private stopped: (() => void) | undefined;
  private readonly exited: Promise<void>;
  private ready: Extract<FromWorker, { kind: 'ready' }> | undefined;
  private readonly checkpointValues = new Map<string, number>();

  private constructor(
    private readonly worker: Worker,
    private readonly log: EventLog,
    private readonly logger: Logger,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  /** Starts the worker and resolves once its pipeline runs; rejects with the worker's error if it fails to start. */
  static async start(data: StoreWorkerData, log: EventLog, logger: Logger, onFailure: (error: Error) => void): Promise<StoreThread> {
    // Inherits the process's execArgv (`--import tsx`, test hooks), so TypeScript loads as on the main thread.
    const worker = new Worker(join(__dirname, 'worker.ts'), {
      workerData: data,
      name: 'store',
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
    });
    const thread = new StoreThread(worker, log, logger, onFailure);
    const unsubscribe = log.onDurable((partitions) => thread.notifyDurable(partitions));
    void thread.exited.then(unsubscribe);
    await thread.started();
    return thread;
  }

  /** The routes whose handlers run in the worker, as main-thread routes that forward to it. */
  routes(): FunctionRoute[] {
    return (this.ready?.routes ?? []).map((route) => this.forwardingRoute(route));
  }

  /** Capture's checkpoints: read from the worker's start, committed through it. */
  captureCheckpoints(): CaptureCheckpoints {
    return {
      getNow: (key) => this.checkpointValues.get(key),
      commit: async (entries) => {
        await this.call('commitCheckpoints', entries);
        for (const [key, value] of entries) this.checkpointValues.set(key, value);
      },
    };
  }

  /** The pipeline counters, kept in the worker's store. */
  metrics(): MetricsStore {
    return {
      add: (delta: Partial<PipelineCounters>) => {
        // The worker keeps no `accepted` counter (the log's record count is it) and records the
        // request in order: a POST of valid events need not wait for the worker, which may be in
        // the middle of a long transaction. Other counters are committed before the call returns.
        if (Object.keys(delta).every((name) => name === 'accepted' || delta[name as keyof PipelineCounters] === 0)) {
          if (!this.failure) this.post({ kind: 'notify', name: 'addMetrics', args: delta });
          return Promise.resolve();
        }
        return this.call('addMetrics', delta);
      },
      read: () => this.call('readMetrics', undefined),
    };
  }

  forward(route: string): FunctionHttpHandler {
    return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : new Uint8Array(await request.arrayBuffer());
      const wire = {
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers),
        params: { ...request.params },
        body,
        invocationId: context.invocationId,
      };
      const response = await this.call('http', { route, request: wire });
      return { status: response.status, headers: response.headers, body: response.body };
    };
  }

  /** Lets the worker stop its pipeline and close the store; terminates it if that takes too long. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopWorker());
  }

  call<Name extends CallName>(name: Name, args: StoreCalls[Name]['args']): Promise<StoreCalls[Name]['result']> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ kind: 'call', id, name, args });
    });
  }

  private forwardingRoute(route: WireRoute): FunctionRoute {
    const path = typeof route.path === 'string' ? route.path : new RegExp(route.path.source, route.path.flags);
    return { method: route.method, path, name: route.name, handler: this.forward(route.name) };
  }

  private notifyDurable(partitions: readonly number[]): void {
    if (this.failure) return;
    this.post({ kind: 'durable', tails: partitions.map((partition) => ({ partition, tail: this.log.tail(partition) })) });
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private started(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          this.ready = message;
          for (const [key, value] of message.checkpoints) this.checkpointValues.set(key, value);
          resolve();
        } else this.receive(message);
      });
      this.worker.once('error', (error) => this.fail(error, reject));
      this.worker.once('exit', (code) => {
        // Once stopping, the worker is terminated on purpose (or has nothing left to stop).
        if (this.stopping) this.stopped?.();
        else this.fail(new Error(`the store worker exited (code ${code})`), reject);
      });
    });
  }

  private receive(message: Exclude<FromWorker, { kind: 'ready' }>): void {
    if (message.kind === 'reply') {
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new Error(message.error));
    } else if (message.kind === 'retained') this.log.retainFrom(message.partition, message.sequence);
    else this.stopped?.();
  }

  /** Once: fails every call under way and, after a start, tells the runtime. */
  private fail(error: Error, rejectStart: (error: Error) => void): void {
    if (this.failure) return;
    this.failure = new Error(`the store worker failed: ${describeError(error)}`);
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    this.stopped?.();
    if (this.ready) this.onFailure(this.failure);
    else rejectStart(this.failure);
  }

  private async stopWorker(): Promise<void> {
    if (!this.failure) {
      const stopped = new Promise<void>((resolve) => (this.stopped = resolve));
      this.post({ kind: 'stop' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.logger.warn(`the store worker did not stop within ${STOP_TIMEOUT_MS} ms; terminating it`);
          resolve();
        }, STOP_TIMEOUT_MS);
      });
      await Promise.race([stopped, late]);
      clearTimeout(timer);
    }
    await this.worker.terminate();
    await this.exited;
  }
}
