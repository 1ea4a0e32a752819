import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createBlobServiceClient } from '../shared/adapters/blob';
import { requestMeter } from '../shared/charges';
import type { LocalConfig } from '../shared/config';
import type { LocationTable } from '../shared/domain/locations';
import { type Clock, systemClock } from '../shared/ports';
import { resetServices, useServices } from '../functions/services';
import type { Services } from '../shared/services';
import { type Azurite, startAzurite } from './azurite';
import { dataLayout, lockDataDir, writeFileAtomic } from './dataDir';
import { type DatasetBOrigin, loadDatasetB, publishDatasetB } from './datasetB';
import { EventLog } from './eventlog';
import { type FunctionHandlers, loadFunctionHandlers } from './functions';
import { createLogger, describeError, type Logger } from './log';
import { createRowsTimer } from './rowsTimer';
import { FeedPump } from './pumps/feedPump';
import { ingestBatchHandler } from './pumps/ingestPump';
import { LogConsumer, type LogConsumerOptions } from './pumps/logConsumer';
import { type Route, RouteTable } from './routes';
import { createMaintenance } from './maintenance';
import { LocalHttpServer } from './server';
import { createLocalServices } from './services';
import { openLocalStore, type LocalStore } from './store';
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

/** Extends a runtime before it starts serving: adds routes, components, log consumers, services. */
export type RuntimePlugin = (runtime: LocalRuntime) => void | Promise<void>;

export interface StartOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly plugins?: readonly RuntimePlugin[];
}

/** What `/api/health`'s backlog counts and what storage the runtime talks to. */
export interface StorageInfo {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  /** True when the runtime started this Azurite itself. */
  readonly embedded: boolean;
}

export interface LocalRuntime {
  readonly config: LocalConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly layout: ReturnType<typeof dataLayout>;
  readonly storage: StorageInfo;
  readonly blobService: BlobServiceClient;
  readonly store: LocalStore;
  readonly eventLog: EventLog;
  readonly handlers: FunctionHandlers;
  readonly routes: RouteTable;
  readonly ingestPump: LogConsumer;
  /** Feeds the dedup store's records, in lsn order, to `tally` (stage one of aggregation). */
  readonly tallyPump: FeedPump;
  /** Feeds the tallies to `aggregate` (stage two). */
  readonly aggregatePump: FeedPump;
  readonly datasetB: DatasetBOrigin & { readonly rows: number };
  /** The Services bundle the handlers see (getServices()). */
  readonly services: Services;
  /** Set once the server listens. */
  readonly url: string;
  addRoute(route: Route): void;
  /** Adds a component; started at once if the runtime already runs. */
  addComponent(component: RuntimeComponent): Promise<void>;
  /**
   * A consumer of the event log with its own checkpoints (`eventlog/<name>/<partition>`), each batch
   * handled in one transaction with its checkpoint. Log segments are kept until every consumer has
   * passed them.
   */
  addLogConsumer(options: Pick<LogConsumerOptions, 'name' | 'handle' | 'batchSize' | 'afterCommit' | 'idlePollMs'>): Promise<LogConsumer>;
  /** Adds or replaces optional services (e.g. `captures`) for every handler. */
  extendServices(extra: Partial<Services>): void;
  /** Stops serving, lets work under way finish, stops every part. Idempotent. */
  stop(): Promise<void>;
}

export const TALLY_CHECKPOINT = 'changes/tally';
export const AGGREGATE_CHECKPOINT = 'tallies/aggregate';
/** Tallies per `aggregate` batch, as `maxItemsPerInvocation` of its trigger in Azure. */
const TALLY_BATCH_SIZE = 1000;
const HTTP_GRACE_MS = 3_000;

type ConsumerOptions = Pick<LogConsumerOptions, 'name' | 'handle' | 'batchSize' | 'afterCommit' | 'idlePollMs'>;

/** What every step shares: settings, logging, and the undo list a failed start (or a stop) runs backwards. */
interface StartContext {
  readonly config: LocalConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly layout: ReturnType<typeof dataLayout>;
  readonly onUndo: (name: string, run: () => unknown) => void;
  readonly rollback: () => Promise<void>;
}

/** Step 1: the data directory, blob storage (an embedded Azurite unless STORAGE_CONNECTION) and Dataset B. */
interface Storage {
  readonly storage: StorageInfo;
  readonly azuritePid: number | null;
  readonly blobService: BlobServiceClient;
  readonly origin: DatasetBOrigin;
  readonly locations: LocationTable;
}

/** Step 2: the durable state, the SQLite store and the event log. */
interface Stores {
  readonly store: LocalStore;
  readonly eventLog: EventLog;
}

/** Step 3: the pumps that feed the handlers, and the log consumers (ingest first) with their checkpoints. */
interface Pumps {
  readonly ingestPump: LogConsumer;
  readonly tallyPump: FeedPump;
  readonly aggregatePump: FeedPump;
  readonly logConsumers: LogConsumer[];
  makeConsumer(options: ConsumerOptions): LogConsumer;
}

/**
 * Starts the whole local pipeline: Azurite (unless STORAGE_CONNECTION), Dataset B, the SQLite store,
 * the event log, the pumps feeding the real `ingest`, `tally` and `aggregate` handlers, and the HTTP
 * server with the real HTTP handlers. A failure at any step undoes the earlier ones and throws.
 */
export async function startRuntime(config: LocalConfig, options: StartOptions = {}): Promise<LocalRuntime> {
  const context = startContext(config, options);
  try {
    const storage = await openStorage(context);
    const stores = await openStores(context);
    const handlers = await loadFunctionHandlers();
    const pumps = createPumps(context, stores, handlers);
    const runtime = assembleRuntime(context, storage, stores, pumps, handlers);
    for (const plugin of options.plugins ?? []) await plugin(runtime.runtime);
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

async function openStores({ config, logger, clock, layout, onUndo }: StartContext): Promise<Stores> {
  const store = openLocalStore(layout.store, {
    dedupTtlSeconds: config.dedupTtlSeconds,
    dedupPartitions: config.dedupPartitions,
    clock,
    meter: requestMeter,
  });
  onUndo('the store', () => store.close());
  logger.info(`store: ${layout.store} (SQLite, WAL; dedup TTL ${config.dedupTtlSeconds} s, ${config.dedupPartitions} dedup partitions)`);

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
  return { store, eventLog };
}

function createPumps({ config, logger }: StartContext, { store, eventLog }: Stores, handlers: FunctionHandlers): Pumps {
  // Stage two folds whatever tallies exist as soon as they are committed: they are few, and the
  // linger of stage one already gathered the changes behind them.
  const aggregatePump = new FeedPump({
    functionName: 'aggregate',
    source: store.tallies,
    handler: handlers.aggregate,
    database: store.database,
    checkpoints: store.checkpoints,
    checkpoint: AGGREGATE_CHECKPOINT,
    batchSize: TALLY_BATCH_SIZE,
    logger: logger.child('aggregate'),
  });
  const tallyPump = new FeedPump({
    functionName: 'tally',
    source: store.changeFeed,
    handler: handlers.tally,
    database: store.database,
    checkpoints: store.checkpoints,
    checkpoint: TALLY_CHECKPOINT,
    batchSize: config.changeBatchSize,
    lingerMs: config.changeLingerMs,
    afterCommit: () => aggregatePump.wake(),
    logger: logger.child('tally'),
  });
  const logConsumers: LogConsumer[] = [];
  const makeConsumer = (consumerOptions: ConsumerOptions): LogConsumer => {
    if (logConsumers.some((consumer) => consumer.name === consumerOptions.name)) {
      throw new Error(`a log consumer named ${consumerOptions.name} exists`);
    }
    const consumer = new LogConsumer({
      ...consumerOptions,
      log: eventLog,
      database: store.database,
      checkpoints: store.checkpoints,
      logger: logger.child(consumerOptions.name),
    });
    logConsumers.push(consumer);
    return consumer;
  };
  const ingestPump = makeConsumer({
    name: 'ingest',
    batchSize: config.ingestBatchSize,
    handle: ingestBatchHandler(handlers.ingest, logger.child('ingest')),
    afterCommit: () => tallyPump.wake(),
  });
  return { ingestPump, tallyPump, aggregatePump, logConsumers, makeConsumer };
}

/** The runtime object, before it serves, with what `serve` needs of it. */
interface Assembled {
  readonly runtime: LocalRuntime;
  readonly components: RuntimeComponent[];
  readonly stream: StatsStream;
  setServer(server: LocalHttpServer): void;
  markRunning(): void;
}

function assembleRuntime(context: StartContext, storage: Storage, stores: Stores, pumps: Pumps, handlers: FunctionHandlers): Assembled {
  const { config, logger, clock, layout } = context;
  const { store, eventLog } = stores;
  const services = createLocalServices({
    config,
    clock,
    store,
    eventLog,
    blobService: storage.blobService,
    locations: storage.locations,
    // Stored detections not yet counted: those not yet tallied, and those in tallies not yet folded.
    backlog: () => ({
      events: pumps.ingestPump.backlog(),
      changes: pumps.tallyPump.backlog() + store.tallies.changesAfter(pumps.aggregatePump.position()),
    }),
  });
  useServices(services);
  context.onUndo('the services', () => resetServices());

  let server: LocalHttpServer | undefined;
  const stream = new StatsStream({ health: handlers.health, logger, track: (response) => server?.trackStream(response) });
  const routes = apiRoutes(handlers, stream);
  const components = pumpComponents(pumps);
  components.push(createRowsTimer(handlers.refreshRows, logger.child('refreshRows')));
  components.push(createMaintenance({ store, eventLog, pumps, components, logger: logger.child('maintenance') }));

  let running = false;
  let current = services;
  let stopping: Promise<void> | undefined;
  const runtime: LocalRuntime = {
    config,
    logger,
    clock,
    layout,
    storage: storage.storage,
    blobService: storage.blobService,
    store,
    eventLog,
    handlers,
    routes,
    ingestPump: pumps.ingestPump,
    tallyPump: pumps.tallyPump,
    aggregatePump: pumps.aggregatePump,
    datasetB: { ...storage.origin, rows: storage.locations.size },
    get services() {
      return current;
    },
    url: '',
    addRoute: (route) => routes.add(route),
    addComponent: async (component) => {
      components.push(component);
      if (running) await component.start?.();
    },
    addLogConsumer: async (consumerOptions) => {
      const consumer = pumps.makeConsumer(consumerOptions);
      await runtime.addComponent({ name: `log consumer ${consumer.name}`, start: () => consumer.start(), stop: () => consumer.stop() });
      return consumer;
    },
    extendServices: (extra) => {
      current = { ...current, ...extra };
      useServices(current);
    },
    stop: () => (stopping ??= stopRuntime(context, { server, stream, components, stopped: () => (running = false) })),
  };
  return { runtime, components, stream, setServer: (started) => (server = started), markRunning: () => (running = true) };
}

function apiRoutes(handlers: FunctionHandlers, stream: StatsStream): RouteTable {
  const routes = new RouteTable();
  routes.add({ method: 'POST', path: '/api/events', name: 'events', handler: handlers.events });
  routes.add({ method: 'GET', path: '/api/top-items', name: 'topItems', handler: handlers.topItems });
  routes.add({ method: 'GET', path: '/api/health', name: 'health', handler: handlers.health });
  routes.add({ method: 'GET', path: '/api/locations', name: 'locations', handler: handlers.locations });
  routes.add({ method: 'GET', path: /^\/api\/odata(?:\/(?<path>.*))?$/, name: 'odata', handler: handlers.odata });
  routes.add(stream.route());
  return routes;
}

function pumpComponents({ ingestPump, tallyPump, aggregatePump }: Pumps): RuntimeComponent[] {
  return [
    { name: 'ingest pump', start: () => ingestPump.start(), stop: () => ingestPump.stop() },
    { name: 'tally pump', start: () => tallyPump.start(), stop: () => tallyPump.stop() },
    { name: 'aggregate pump', start: () => aggregatePump.start(), stop: () => aggregatePump.stop() },
  ];
}

/** Stops serving, stops the components in reverse order, then undoes the start steps. */
async function stopRuntime(
  { logger, layout, rollback }: StartContext,
  parts: { server: LocalHttpServer | undefined; stream: StatsStream; components: readonly RuntimeComponent[]; stopped: () => void },
): Promise<void> {
  logger.info('stopping: no new requests; finishing the work under way');
  await parts.server?.stop(HTTP_GRACE_MS).catch((error: unknown) => logger.warn(`while stopping the HTTP server: ${describeError(error)}`));
  parts.stream.stop();
  parts.stopped();
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

/** Step 4: starts every component, then the HTTP server, and writes runtime.json for tools. */
async function serve({ config, logger, layout }: StartContext, storage: Storage, assembled: Assembled): Promise<void> {
  const { runtime } = assembled;
  try {
    for (const component of assembled.components) await component.start?.();
    assembled.markRunning();
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
