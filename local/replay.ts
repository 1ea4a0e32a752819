import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { CaptureArchive } from '../shared/capture';
import { jsonResponse } from '../shared/http';
import { ingestBatch } from '../shared/pipeline/ingest';
import {
  type BlobReplayResult,
  mapBounded,
  replayBlobWithRetries,
  type ReplayDeps,
  type ReplayProgress,
  replayProgress,
  type ReplayReport,
  type ReplayRequest,
  summarizeReplay,
  validateReplayStart,
} from '../shared/pipeline/replay';
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
  /** Blobs downloaded and decoded at once (their writes are serialized anyway). */
  readonly parallelism?: number;
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
  status: ReplayRuntimeStatus;
  blobsTotal: number | null;
  readonly done: BlobReplayResult[];
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
    if (body.byteLength > 16 * 1024) return jsonResponse(413, { error: 'the body is larger than 16384 bytes' });
    const start = validateReplayStart(body, config, clock.now());
    if (!start.ok) return jsonResponse(start.status, start.body);

    const now = new Date(clock.now()).toISOString();
    const job: Job = {
      id: randomUUID(),
      request: start.request,
      createdTime: now,
      lastUpdatedTime: now,
      status: 'Running',
      blobsTotal: 0,
      done: [],
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
      customStatus: job.blobsTotal === null ? null : replayProgress(job.blobsTotal, job.done),
      output: job.output,
      createdTime: job.createdTime,
      lastUpdatedTime: job.lastUpdatedTime,
    };
    // As the Durable Functions status endpoint: 202 while running, 200 once it has ended.
    return jsonResponse(job.status === 'Running' ? 202 : 200, status);
  }

  private async execute(job: Job): Promise<void> {
    const { archive, database, logger } = this.options;
    const services = this.options.services();
    const deps: ReplayDeps = {
      captures: archive,
      ingest: async (messages) => {
        const summary = await database.unit(() => ingestBatch(messages, { ...services, dedupPartitions: services.config.dedupPartitions }));
        this.options.onCommitted?.();
        return summary;
      },
      clock: services.clock,
      dedupTtlSeconds: services.config.dedupTtlSeconds,
    };
    const touch = () => (job.lastUpdatedTime = new Date(services.clock.now()).toISOString());
    try {
      const blobs = await archive.list(Date.parse(job.request.from), Date.parse(job.request.to));
      job.blobsTotal = blobs.length;
      touch();
      const results = await mapBounded(blobs, this.options.parallelism ?? 4, async (blob) => {
        if (this.stopping) return null;
        const result = await replayBlobWithRetries(blob.name, deps, { attempts: 3, delayMs: 500 });
        job.done.push(result);
        touch();
        if (result.status === 'failed') logger.warn(`replay ${job.id}: ${blob.name} failed: ${result.reason ?? ''}`);
        return result;
      });
      const finished = results.filter((result): result is BlobReplayResult => result !== null);
      job.output = { from: job.request.from, to: job.request.to, totals: summarizeReplay(finished), blobs: finished };
      job.status = finished.length < blobs.length ? 'Terminated' : 'Completed';
      logger.info(`replay ${job.id} ${job.status.toLowerCase()}: ${JSON.stringify(job.output.totals)}`);
    } catch (error) {
      job.output = { error: describeError(error) };
      job.status = 'Failed';
      logger.error(`replay ${job.id} failed`, error);
    }
    touch();
  }

  private forgetOldJobs(): void {
    const keep = this.options.keepFinished ?? 20;
    const finished = [...this.jobs.values()].filter((job) => job.status !== 'Running');
    for (const job of finished.slice(0, Math.max(0, finished.length - keep))) this.jobs.delete(job.id);
  }
}
