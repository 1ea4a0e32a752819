import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { CaptureArchive } from '../shared/capture';
import { jsonResponse } from '../shared/http';
import { ingestBatch, ingestDepsOf } from '../shared/pipeline/ingest';
import {
  type BlobReplayResult,
  mapBounded,
  mergeBlobResults,
  replayRangeWithRetries,
  type ReplayDeps,
  type ReplayPosition,
  type ReplayProgress,
  replayProgress,
  type ReplayReport,
  type ReplayRequest,
  replayLanes,
  summarizeReplay,
  validateReplayStart,
} from '../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../shared/pipeline/replayLimits';
import type { Services } from '../shared/services';
import { describeError, type Logger } from './log';
import type { FunctionRoute } from './routes';
import type { LocalDatabase } from './store';

export interface LocalReplayOptions {
  readonly archive: CaptureArchive;
  /** The runtime's current Services bundle (it may be extended after this is built). */
  readonly services: () => Services;
  /** Each ingest chunk runs in one unit of this database: the pumps' serialized write path. */
  readonly database: LocalDatabase;
  readonly logger: Logger;
  /**
   * Events per ingest transaction: the local equivalent of an Event Hubs batch (INGEST_BATCH_SIZE),
   * as the partition pumps commit them; REPLAY_LIMITS.sliceEvents when omitted.
   */
  readonly sliceEvents?: number;
  /** Called after each committed chunk, to wake the change pump. */
  readonly onCommitted?: () => void;
  /** Finished replays kept for their status URL. */
  readonly keepFinished?: number;
}

/** The Durable Functions runtime statuses that a replay goes through here. */
export type ReplayRuntimeStatus = 'Running' | 'Completed' | 'Failed' | 'Terminated';

/** Shaped like a Durable Functions instance status, so one client reads both hosts. */
export interface ReplayStatus {
  readonly name: 'replayOrchestrator';
  readonly instanceId: string;
  readonly runtimeStatus: ReplayRuntimeStatus;
  readonly input: ReplayRequest;
  /** Null until the blobs of the range are listed, as before the orchestration's first setCustomStatus. */
  readonly customStatus: ReplayProgress | null;
  readonly output: ReplayReport | { error: string } | null;
  readonly createdTime: string;
  readonly lastUpdatedTime: string;
}

interface Job {
  readonly id: string;
  readonly request: ReplayRequest;
  readonly createdTime: string;
  lastUpdatedTime: string;
  readonly startedMs: number;
  status: ReplayRuntimeStatus;
  blobsTotal: number | null;
  blobsDone: number;
  /** Per blob under way or done: the counts so far, updated after every slice. */
  readonly results: Map<string, BlobReplayResult>;
  output: ReplayReport | { error: string } | null;
  run?: Promise<void>;
}

const ID_PATTERN = /^\/api\/replay\/(?<id>[A-Za-z0-9-]{1,64})$/;

/**
 * POST /api/replay and GET /api/replay/<id> on the local runtime: the same checks and the same
 * use-case as the Durable Functions orchestration, run in-process. Replays are kept in memory; a
 * restart forgets them (and stops a replay under way, which can simply be started again).
 */
export class LocalReplays {
  private readonly jobs = new Map<string, Job>();
  private stopping = false;

  constructor(private readonly options: LocalReplayOptions) {}

  routes(): FunctionRoute[] {
    return [
      { method: 'POST', path: '/api/replay', name: 'replayStart', handler: (request, context) => this.start(request, context) },
      { method: 'GET', path: ID_PATTERN, name: 'replayStatus', handler: (request) => this.status(request) },
    ];
  }

  /** Lets each replay finish the blob it is on, then ends it as Terminated. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.jobs.values()].flatMap((job) => (job.run ? [job.run] : [])));
  }

  async start(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    if (this.stopping) return jsonResponse(503, { error: 'the runtime is shutting down' });
    const { config, clock } = this.options.services();
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > REPLAY_LIMITS.requestBytes) {
      return jsonResponse(413, { error: `the body is larger than ${REPLAY_LIMITS.requestBytes} bytes` });
    }
    const start = validateReplayStart(body, config, clock.now());
    if (!start.ok) return jsonResponse(start.status, start.body);

    const now = new Date(clock.now()).toISOString();
    const job: Job = {
      id: randomUUID(),
      request: start.request,
      createdTime: now,
      lastUpdatedTime: now,
      startedMs: clock.now(),
      status: 'Running',
      blobsTotal: 0,
      blobsDone: 0,
      results: new Map(),
      output: null,
    };
    this.jobs.set(job.id, job);
    this.forgetOldJobs();
    job.run = this.execute(job);
    context.log(`replay ${job.id} started for [${job.request.from}, ${job.request.to})`);

    const statusQueryGetUri = new URL(`/api/replay/${job.id}`, request.url).toString();
    return jsonResponse(202, { id: job.id, statusQueryGetUri }, { location: statusQueryGetUri });
  }

  status(request: HttpRequest): HttpResponseInit {
    const job = this.jobs.get(request.params['id'] ?? '');
    if (!job) return jsonResponse(404, { error: 'no replay with this id (replays are forgotten when the runtime restarts)' });
    const status: ReplayStatus = {
      name: 'replayOrchestrator',
      instanceId: job.id,
      runtimeStatus: job.status,
      input: job.request,
      customStatus:
        job.blobsTotal === null
          ? null
          : replayProgress(job.blobsTotal, job.blobsDone, [...job.results.values()], this.options.services().clock.now() - job.startedMs),
      output: job.output,
      createdTime: job.createdTime,
      lastUpdatedTime: job.lastUpdatedTime,
    };
    // As the Durable Functions status endpoint: 202 while running, 200 once it has ended.
    return jsonResponse(job.status === 'Running' ? 202 : 200, status);
  }

  private async execute(job: Job): Promise<void> {
    const { archive, logger } = this.options;
    const services = this.options.services();
    const touch = () => (job.lastUpdatedTime = new Date(services.clock.now()).toISOString());
    try {
      const blobs = await archive.list(Date.parse(job.request.from), Date.parse(job.request.to));
      job.blobsTotal = blobs.length;
      touch();
      // One lane per partition, replayed blob after blob in time order, as the orchestration does.
      const byBlob = new Map<string, BlobReplayResult>();
      await mapBounded(replayLanes(blobs.map((blob) => blob.name)), REPLAY_LIMITS.parallelism, async (lane) => {
        for (const blob of lane) {
          if (this.stopping) return;
          const result = await this.replayBlob(job, blob, touch);
          if (result === null) return;
          job.blobsDone += 1;
          if (result.status === 'failed') logger.warn(`replay ${job.id}: ${blob} failed: ${result.reason ?? ''}`);
          byBlob.set(blob, result);
        }
      });
      const finished = blobs.flatMap((blob) => byBlob.get(blob.name) ?? []);
      const totals = summarizeReplay(finished);
      job.output = { from: job.request.from, to: job.request.to, totals, blobs: finished };
      job.status = finished.length < blobs.length ? 'Terminated' : 'Completed';
      logger.info(`replay ${job.id} ${job.status.toLowerCase()}: ${JSON.stringify(totals)}`);
    } catch (error) {
      job.output = { error: describeError(error) };
      job.status = 'Failed';
      logger.error(`replay ${job.id} failed`, error);
    }
    touch();
  }

  /**
   * One blob, range after range as the activities replay it in Azure (the same limits), with the
   * counts published after every slice. Null when the runtime stopped before the blob's end.
   */
  private async replayBlob(job: Job, blob: string, touch: () => void): Promise<BlobReplayResult | null> {
    let sofar: BlobReplayResult | undefined;
    let position: ReplayPosition | undefined;
    const budget = { events: REPLAY_LIMITS.rangeEvents, ms: REPLAY_LIMITS.rangeMs, stop: () => this.stopping };
    for (;;) {
      const deps = this.replayDeps((progress) => {
        job.results.set(blob, mergeBlobResults(sofar, progress));
        touch();
      });
      const range = await replayRangeWithRetries(blob, position, deps, REPLAY_LIMITS.retry, budget);
      sofar = mergeBlobResults(sofar, range);
      job.results.set(blob, sofar);
      touch();
      if (range.next === null) return sofar;
      if (this.stopping) return null;
      position = range.next;
    }
  }

  private replayDeps(onSlice: (progress: BlobReplayResult) => void): ReplayDeps {
    const { archive, database } = this.options;
    const services = this.options.services();
    return {
      captures: archive,
      ingest: async (messages) => {
        const summary = await database.unit(() => ingestBatch(messages, ingestDepsOf(services)));
        this.options.onCommitted?.();
        return summary;
      },
      clock: services.clock,
      dedupTtlSeconds: services.config.dedupTtlSeconds,
      sliceEvents: this.options.sliceEvents ?? REPLAY_LIMITS.sliceEvents,
      onSlice,
    };
  }

  private forgetOldJobs(): void {
    const keep = this.options.keepFinished ?? 20;
    const finished = [...this.jobs.values()].filter((job) => job.status !== 'Running');
    for (const job of finished.slice(0, Math.max(0, finished.length - keep))) this.jobs.delete(job.id);
  }
}
