import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { BlobCaptureArchive } from '../shared/adapters/blob/captureArchive';
import { createBlobServiceClient } from '../shared/adapters/blob';
import type { LocalConfig } from '../shared/config';
import type { LocationTable } from '../shared/domain/locations';
import { type Clock, systemClock } from '../shared/ports';
import { resetServices, useServices } from '../functions/services';
import { type Azurite, startAzurite } from './azurite';
import { CaptureWriter, LOCAL_CAPTURE_LOCATION } from './capture';
import { dataLayout, lockDataDir, writeFileAtomic } from './dataDir';
import { type DatasetBOrigin, loadDatasetB, publishDatasetB } from './datasetB';
import { EventLog } from './eventlog';
import { loadFunctionHandlers } from './functions';
import { createLogger, describeError, type Logger } from './log';
import { RouteTable } from './routes';
import { LocalHttpServer } from './server';
import { StoreThread } from './storeThread/client';
import { createMainServices } from './storeThread/mainServices';
import { StatsStream } from './stream';

/** Something with a life cycle that the runtime starts after its own parts and stops before them. */
export interface RuntimeComponent {
  readonly name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /**
   * For a component that reads the event log with checkpoints of its own (capture): the sequence of
   * a partition below which it needs nothing more. Log segments are kept until it passes them.
   */
  logPosition?(partition: number): number;
}

export interface StartOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Called once if the store worker dies while the runtime runs; the runtime cannot go on without it. */
  readonly onFailure?: (error: Error) => void;
}

/** What `/api/health`'s backlog counts and what storage the runtime talks to. */
export interface StorageInfo {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  /** True when the runtime started this Azurite itself. */
  readonly embedded: boolean;
}

/**
 * The running local runtime. Its main thread serves HTTP, runs POST /api/events, writes the event log
 * and cuts Capture files; the store worker (storeThread/) owns the SQLite store and runs the pumps
 * with the `ingest`, `tally` and `aggregate` handlers, the timers, replay and the store's read routes.
 */
export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly layout: ReturnType<typeof dataLayout>;
  readonly storage: StorageInfo;
  readonly blobService: BlobServiceClient;
  readonly eventLog: EventLog;
  readonly routes: RouteTable;
  /** Set once the server listens. */
  readonly url: string;
  /** Stops serving, lets work under way finish, stops every part. Idempotent. */
  stop(): Promise<void>;
}

const HTTP_GRACE_MS = 3_000;

/** What every step shares: settings, logging, and the undo list a failed start (or a stop) runs backwards. */
interface StartContext {
  readonly config: LocalConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly layout: ReturnType<typeof dataLayout>;
  readonly onUndo: (name: string, run: () => unknown) => void;
  readonly rollback: () => Promise<void>;
  readonly onFailure: (error: Error) => void;
}

/** Step 1: the data directory, blob storage (an embedded Azurite unless STORAGE_CONNECTION) and Dataset B. */
interface Storage {
  readonly storage: StorageInfo;
  readonly azuritePid: number | null;
  readonly blobService: BlobServiceClient;
  readonly origin: DatasetBOrigin;
  readonly locations: LocationTable;
}

/**
 * Starts the whole local pipeline: Azurite (unless STORAGE_CONNECTION), Dataset B, the event log, the
 * store worker (the SQLite store and the pumps feeding the real `ingest`, `tally` and `aggregate`
 * handlers), capture, and the HTTP server with the real HTTP handlers. A failure at any step undoes
 * the earlier ones and throws.
 */
export async function startRuntime(config: LocalConfig, options: StartOptions = {}): Promise<LocalRuntime> {
  const context = startContext(config, options);
  try {
    const storage = await openStorage(context);
    const eventLog = await openEventLog(context);
    const thread = await startStoreThread(context, storage, eventLog);
    const runtime = await assembleRuntime(context, storage, eventLog, thread);
    await serve(context, storage, runtime);
    return runtime.runtime;
  } catch (error) {
    await context.rollback();
    throw error;
  }
}

function startContext(config: LocalConfig, options: StartOptions): StartContext {
  const logger = options.logger ?? createLogger(config.logLevel, 'runtime');
  const undo: { name: string; run: () => unknown }[] = [];
  return {
    config,
    env: options.env ?? process.env,
    logger,
    clock: options.clock ?? systemClock,
    layout: dataLayout(config.dataDir),
    onUndo: (name, run) => undo.push({ name, run }),
    rollback: async () => {
      for (let step = undo.pop(); step; step = undo.pop()) {
        try {
          await step.run();
        } catch (error) {
          logger.warn(`while undoing ${step.name}: ${describeError(error)}`);
        }
      }
    },
    onFailure: options.onFailure ?? ((error) => logger.error('the runtime cannot go on', error)),
  };
}

async function openStorage({ config, env, logger, layout, onUndo }: StartContext): Promise<Storage> {
  mkdirSync(layout.root, { recursive: true });
  const lock = lockDataDir(layout.lock);
  onUndo('the data directory lock', () => lock.release());
  logger.info(`data directory: ${layout.root}`);

  let azurite: Azurite | undefined;
  let storage: StorageInfo;
  if (config.storageConnection) {
    const endpoint = /BlobEndpoint=([^;]+)/i.exec(config.storageConnection)?.[1] ?? '(from STORAGE_CONNECTION)';
    storage = { connectionString: config.storageConnection, blobEndpoint: endpoint, embedded: false };
    logger.info(`blob storage: ${endpoint} (STORAGE_CONNECTION; no Azurite started)`);
  } else {
    const started = await startAzurite({ location: layout.azurite });
    azurite = started;
    onUndo('Azurite', () => started.stop());
    storage = { connectionString: started.connectionString, blobEndpoint: started.blobEndpoint, embedded: true };
    logger.info(`Azurite blob service: ${started.blobEndpoint} (pid ${String(started.pid)}, data in ${layout.azurite})`);
  }
  const blobService = createBlobServiceClient(
    { kind: 'connectionString', value: storage.connectionString },
    // A pump holds the store while it writes dead letters: fail fast and let the pump retry.
    { retryOptions: { maxTries: 3, tryTimeoutInMs: 15_000, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 } },
  );

  const origin = await publishDatasetB(config, blobService, {
    embeddedStorage: storage.embedded,
    blobNameExplicit: Boolean(env['DATASET_B_BLOB']),
  });
  const locations: LocationTable = await loadDatasetB(blobService, origin);
  logger.info(
    `Dataset B: ${locations.size} locations loaded from ${origin.container}/${origin.blob}` +
      (origin.uploadedFrom ? ` (uploaded from ${origin.uploadedFrom})` : ' (already in storage)'),
  );
  return { storage, azuritePid: azurite?.pid ?? null, blobService, origin, locations };
}

/** Step 2: the event log, written on this thread. */
async function openEventLog({ config, logger, clock, layout, onUndo }: StartContext): Promise<EventLog> {
  const { log: eventLog, reports } = await EventLog.open({ dir: layout.eventLog, partitions: config.partitions, clock });
  onUndo('the event log', () => eventLog.close());
  for (const report of reports) {
    if (report.truncatedBytes > 0) {
      logger.warn(
        `event log partition ${report.partition}: cut ${report.truncatedBytes} bytes of an unfinished write at the end (${report.truncatedReason ?? 'torn'})`,
      );
    }
  }
  logger.info(
    `event log: ${layout.eventLog} (${config.partitions} partitions, ${reports.reduce((sum, report) => sum + report.records, 0)} events kept)`,
  );
  return eventLog;
}

/**
 * Step 3: the store worker. It opens the SQLite store and starts the pumps, reading the event log
 * through a mirror that this thread advances after every durable write.
 */
async function startStoreThread(context: StartContext, storage: Storage, eventLog: EventLog): Promise<StoreThread> {
  const { config, logger, layout, onUndo } = context;
  const thread = await StoreThread.start(
    {
      config,
      dataDir: layout.root,
      storageConnection: storage.storage.connectionString,
      locations: storage.locations,
      logState: eventLog.state(),
    },
    eventLog,
    logger,
    (error) => context.onFailure(error),
  );
  onUndo('the store worker', () => thread.stop());
  logger.info(
    `store: ${layout.store} (SQLite, WAL, in the store worker; dedup TTL ${config.dedupTtlSeconds} s, ${config.dedupPartitions} dedup partitions)`,
  );
  return thread;
}

/** The runtime object, before it serves, with what `serve` needs of it. */
interface Assembled {
  readonly runtime: LocalRuntime;
  readonly components: RuntimeComponent[];
  readonly stream: StatsStream;
  setServer(server: LocalHttpServer): void;
}

/** Step 4: the main thread's services and routes (POST /api/events here, the rest forwarded), and capture. */
async function assembleRuntime(context: StartContext, storage: Storage, eventLog: EventLog, thread: StoreThread): Promise<Assembled> {
  const { config, logger, clock, layout } = context;
  const services = createMainServices({ config, clock, eventLog, thread, blobService: storage.blobService, locations: storage.locations });
  useServices(services);
  context.onUndo('the services', () => resetServices());
  const handlers = await loadFunctionHandlers();

  let server: LocalHttpServer | undefined;
  const routes = new RouteTable();
  routes.add({ method: 'POST', path: '/api/events', name: 'events', handler: handlers.events });
  for (const route of thread.routes()) routes.add(route);
  const health = routes.list().find((route) => route.name === 'health');
  if (!health || 'raw' in health) throw new Error('the store worker serves no health route');
  const stream = new StatsStream({ health: health.handler, logger, track: (response) => server?.trackStream(response) });
  routes.add(stream.route());
  const components = [captureComponent(context, storage, eventLog, thread)];

  let stopping: Promise<void> | undefined;
  const runtime: LocalRuntime = {
    config,
    logger,
    clock,
    layout,
    storage: storage.storage,
    blobService: storage.blobService,
    eventLog,
    routes,
    url: '',
    stop: () => (stopping ??= stopRuntime(context, { server, stream, components })),
  };
  return { runtime, components, stream, setServer: (started) => (server = started) };
}

/**
 * Event Hubs Capture of the event log, on the thread that writes it: Avro files into the capture
 * container, with checkpoints committed through the store worker (which replays from them).
 */
function captureComponent(
  { config, clock, logger }: StartContext,
  storage: Storage,
  eventLog: EventLog,
  thread: StoreThread,
): RuntimeComponent {
  const archive = new BlobCaptureArchive(storage.blobService, config.captureContainer, LOCAL_CAPTURE_LOCATION, { createContainer: true });
  const writer = new CaptureWriter({
    log: eventLog,
    checkpoints: thread.captureCheckpoints(),
    archive,
    windowSeconds: config.captureWindowSeconds,
    windowBytes: config.captureWindowBytes,
    clock,
    logger: logger.child('capture'),
  });
  logger.info(
    `capture: ${config.captureContainer}/${LOCAL_CAPTURE_LOCATION.namespace}/${LOCAL_CAPTURE_LOCATION.eventHub}/ (${config.captureWindowSeconds} s or ${config.captureWindowBytes} bytes per file); replay: POST /api/replay`,
  );
  return { name: 'capture', start: () => writer.start(), stop: () => writer.stop() };
}

/** Stops serving, stops the components in reverse order, then undoes the start steps. */
async function stopRuntime(
  { logger, layout, rollback }: StartContext,
  parts: { server: LocalHttpServer | undefined; stream: StatsStream; components: readonly RuntimeComponent[] },
): Promise<void> {
  logger.info('stopping: no new requests; finishing the work under way');
  await parts.server?.stop(HTTP_GRACE_MS).catch((error: unknown) => logger.warn(`while stopping the HTTP server: ${describeError(error)}`));
  parts.stream.stop();
  for (const component of [...parts.components].reverse()) {
    try {
      await component.stop?.();
    } catch (error) {
      logger.warn(`while stopping ${component.name}: ${describeError(error)}`);
    }
  }
  rmSync(layout.runtimeInfo, { force: true });
  await rollback();
  logger.info('stopped');
}

/** Step 5: starts every component, then the HTTP server, and writes runtime.json for tools. */
async function serve({ config, logger, layout }: StartContext, storage: Storage, assembled: Assembled): Promise<void> {
  const { runtime } = assembled;
  try {
    for (const component of assembled.components) await component.start?.();
    const server = new LocalHttpServer({
      routes: runtime.routes,
      staticDir: join(__dirname, 'dashboard'),
      maxBodyBytes: config.maxBodyBytes,
      logger: logger.child('http'),
    });
    assembled.setServer(server);
    (runtime as { url: string }).url = await server.listen(config.port, config.bindAddress);
  } catch (error) {
    // Components may already run: stop them the normal way, which also undoes the earlier steps.
    await runtime.stop();
    throw error;
  }
  const info = {
    url: runtime.url,
    pid: process.pid,
    dataDir: layout.root,
    blobEndpoint: storage.storage.blobEndpoint,
    azuritePid: storage.azuritePid,
    partitions: config.partitions,
    startedAt: new Date().toISOString(),
  };
  writeFileAtomic(layout.runtimeInfo, JSON.stringify(info, null, 2) + '\n');
  logger.info(`HTTP API: ${runtime.url}/api (events, top-items, health, locations, stream, odata)`);
  logger.info(`dashboard: ${runtime.url}/`);
}
