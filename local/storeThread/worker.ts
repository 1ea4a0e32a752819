/**
 * The store worker's entry (a worker_threads Worker started by storeThread/client.ts): opens the
 * store pipeline, then answers the main thread's calls and follows its durable notices.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { createLogger, describeError, invocationLogHandler, type Logger } from '../log';
import type { FunctionRoute } from '../routes';
import { openStorePipeline, type StorePipeline } from './pipeline';
import type { CallName, FromWorker, StoreCalls, StoreWorkerData, ToWorker, WireRequest, WireResponse, WireRoute } from './protocol';

type CallHandlers = { [Name in CallName]: (args: StoreCalls[Name]['args']) => Promise<StoreCalls[Name]['result']> };

async function run(port: MessagePort, data: StoreWorkerData): Promise<void> {
  const logger = createLogger(data.config.logLevel, 'store');
  // As on the main thread: a unit of work that fails is rolled back and retried, so an escaped
  // rejection is logged rather than fatal.
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', reason));
  const post = (message: FromWorker): void => port.postMessage(message);
  // Set once the calls can be answered; messages taken before then would be lost.
  const inbox: { dispatch?: (message: ToWorker) => void } = {};
  const pipeline = await openStorePipeline({
    ...data,
    logger,
    onRetained: (partition, sequence) => post({ kind: 'retained', partition, sequence }),
    // The pumps chain promises without a pause while a backlog lasts, and messages are only delivered
    // between turns of the event loop: the ingest pump takes them itself before each read, in order.
    takeMessages: () => {
      const deliver = inbox.dispatch;
      if (!deliver) return;
      for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) deliver(next.message as ToWorker);
    },
  });
  const calls = callHandlers(pipeline, logger);
  const dispatch = (message: ToWorker): void => {
    if (message.kind === 'durable') pipeline.eventLog.advance(message.tails);
    else if (message.kind === 'call') answer(port, message.id, calls[message.name] as (args: unknown) => Promise<unknown>, message.args);
    else if (message.kind === 'notify')
      (calls[message.name] as (args: unknown) => Promise<unknown>)(message.args).catch((error: unknown) =>
        logger.warn(`${message.name} failed: ${describeError(error)}`),
      );
    else
      void pipeline
        .stop()
        .catch((error: unknown) => logger.error('stopping the store failed', error))
        .finally(() => post({ kind: 'stopped' }));
  };
  inbox.dispatch = dispatch;
  port.on('message', dispatch);
  await pipeline.start();
  const checkpoints = await pipeline.store.checkpoints.list('');
  post({ kind: 'ready', routes: pipeline.routes.map(wireRoute), checkpoints: [...checkpoints] });
}

function answer(port: MessagePort, id: number, call: (args: unknown) => Promise<unknown>, args: unknown): void {
  call(args).then(
    (value) => {
      const transfer = value && typeof value === 'object' && 'body' in value && value.body instanceof Uint8Array ? [value.body.buffer] : [];
      port.postMessage({ kind: 'reply', id, ok: true, value } satisfies FromWorker, transfer as ArrayBuffer[]);
    },
    (error: unknown) => port.postMessage({ kind: 'reply', id, ok: false, error: describeError(error) } satisfies FromWorker),
  );
}

function callHandlers(pipeline: StorePipeline, logger: Logger): CallHandlers {
  const routes = new Map(pipeline.routes.map((route) => [route.name, route]));
  return {
    http: ({ route, request }) => {
      const found = routes.get(route);
      if (!found) return Promise.reject(new Error(`no handler named ${route} in the store worker`));
      return invoke(found, request, logger);
    },
    addMetrics: (delta) => pipeline.services.metrics.add(delta).then(() => undefined),
    readMetrics: () => pipeline.services.metrics.read(),
    commitCheckpoints: async (entries) => {
      await pipeline.store.database.unit(async () => {
        for (const [key, value] of entries) await pipeline.store.checkpoints.set(key, value);
      });
      return undefined;
    },
  };
}

/** Calls a handler as the main thread's HTTP server would have, and flattens its response. */
async function invoke(route: FunctionRoute, wire: WireRequest, logger: Logger): Promise<WireResponse> {
  const request = new HttpRequest({
    method: wire.method,
    url: wire.url,
    headers: wire.headers,
    params: wire.params,
    ...(wire.body && wire.body.length > 0 ? { body: { bytes: wire.body } } : {}),
  });
  const context = new InvocationContext({
    invocationId: wire.invocationId || randomUUID(),
    functionName: route.name,
    logHandler: invocationLogHandler(logger.child(route.name)),
    triggerMetadata: {},
  });
  const response = new HttpResponse(await route.handler(request, context));
  return { status: response.status, headers: Object.fromEntries(response.headers), body: new Uint8Array(await response.arrayBuffer()) };
}

function wireRoute(route: FunctionRoute): WireRoute {
  const path = typeof route.path === 'string' ? route.path : { source: route.path.source, flags: route.path.flags };
  return { method: route.method, path, name: route.name };
}

/** Names this thread `store` (Linux), so that per-thread CPU figures (`npm run bench`) tell it from V8's helpers. */
function nameThread(): void {
  try {
    writeFileSync('/proc/thread-self/comm', 'store');
  } catch {
    // Not Linux, or no /proc: the name only helps measurements.
  }
}

if (parentPort) {
  const port = parentPort;
  nameThread();
  run(port, workerData as StoreWorkerData).catch((error: unknown) => {
    // Thrown outside the promise, so that the worker ends and the main thread's 'error' event names the cause.
    setImmediate(() => {
      throw error instanceof Error ? error : new Error(describeError(error));
    });
  });
}
