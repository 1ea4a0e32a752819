import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createBlobServiceClient } from '../shared/adapters/blob';
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
import { FeedPump } from './pumps/feedPump';
import { ingestBatchHandler } from './pumps/ingestPump';
import { LogConsumer, type LogConsumerOptions } from './pumps/logConsumer';
import { type Route, RouteTable } from './routes';
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

const MAINTENANCE_INTERVAL_MS = 30_000;
export const TALLY_CHECKPOINT = 'changes/tally';
export const AGGREGATE_CHECKPOINT = 'tallies/aggregate';
/** Tallies per `aggregate` batch, as `maxItemsPerInvocation` of its trigger in Azure. */
const TALLY_BATCH_SIZE = 1000;
const HTTP_GRACE_MS = 3_000;

/**
 * Starts the whole local pipeline: Azurite (unless STORAGE_CONNECTION), Dataset B, the SQLite store,
 * the event log, the pumps feeding the real `ingest` and `aggregate` handlers, and the HTTP server
 * with the real HTTP handlers. A failure at any step undoes the earlier ones and throws.
 */
export async function startRuntime(config: LocalConfig, options: StartOptions = {}): Promise<LocalRuntime> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger(config.logLevel, 'runtime');
  const clock = options.clock ?? systemClock;
  const layout = dataLayout(config.dataDir);
  const undo: { name: string; run: () => unknown }[] = [];
  const rollback = async (): Promise<void> => {
    for (let step = undo.pop(); step; step = undo.pop()) {
      try {
        await step.run();
      } catch (error) {
        logger.warn(`while undoing ${step.name}: ${describeError(error)}`);
      }
    }
  };

  try {
    mkdirSync(layout.root, { recursive: true });
    const lock = lockDataDir(layout.lock);
    undo.push({ name: 'the data directory lock', run: () => lock.release() });
    logger.info(`data directory: ${layout.root}`);

    let azurite: Azurite | undefined;
    let storage: StorageInfo;
    if (config.storageConnection) {
      const endpoint = /BlobEndpoint=([^;]+)/i.exec(config.storageConnection)?.[1] ?? '(from STORAGE_CONNECTION)';
      storage = { connectionString: config.storageConnection, blobEndpoint: endpoint, embedded: false };
      logger.info(`blob storage: ${endpoint} (STORAGE_CONNECTION; no Azurite started)`);
    } else {
      azurite = await startAzurite({ location: layout.azurite });
      const started = azurite;
      undo.push({ name: 'Azurite', run: () => started.stop() });
      storage = { connectionString: azurite.connectionString, blobEndpoint: azurite.blobEndpoint, embedded: true };
      logger.info(`Azurite blob service: ${azurite.blobEndpoint} (pid ${String(azurite.pid)}, data in ${layout.azurite})`);
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

    const store = openLocalStore(layout.store, { dedupTtlSeconds: config.dedupTtlSeconds, dedupPartitions: config.dedupPartitions, clock });
    undo.push({ name: 'the store', run: () => store.close() });
    logger.info(`store: ${layout.store} (SQLite, WAL; dedup TTL ${config.dedupTtlSeconds} s, ${config.dedupPartitions} dedup partitions)`);

    const { log: eventLog, reports } = await EventLog.open({ dir: layout.eventLog, partitions: config.partitions, clock });
    undo.push({ name: 'the event log', run: () => eventLog.close() });
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

    const handlers = await loadFunctionHandlers();
    const routes = new RouteTable();
    const components: RuntimeComponent[] = [];
    const logConsumers: LogConsumer[] = [];
    let running = false;

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
    const makeConsumer = (
      consumerOptions: Pick<LogConsumerOptions, 'name' | 'handle' | 'batchSize' | 'afterCommit' | 'idlePollMs'>,
    ): LogConsumer => {
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

    let services = createLocalServices({
      config,
      clock,
      store,
      eventLog,
      blobService,
      locations,
      // Stored detections not yet counted: those not yet tallied, and those in tallies not yet folded.
      backlog: () => ({
        events: ingestPump.backlog(),
        changes: tallyPump.backlog() + store.tallies.changesAfter(aggregatePump.position()),
      }),
    });
    useServices(services);
    undo.push({ name: 'the services', run: () => resetServices() });

    let server: LocalHttpServer | undefined;
    const stream = new StatsStream({ health: handlers.health, logger, track: (response) => server?.trackStream(response) });
    routes.add({ method: 'POST', path: '/api/events', name: 'events', handler: handlers.events });
    routes.add({ method: 'GET', path: '/api/top-items', name: 'topItems', handler: handlers.topItems });
    routes.add({ method: 'GET', path: '/api/health', name: 'health', handler: handlers.health });
    routes.add({ method: 'GET', path: '/api/locations', name: 'locations', handler: handlers.locations });
    routes.add({ method: 'GET', path: /^\/api\/odata(?:\/(?<path>.*))?$/, name: 'odata', handler: handlers.odata });
    routes.add(stream.route());

    const maintenance = createMaintenance({
      store,
      eventLog,
      tallyPump,
      aggregatePump,
      logConsumers,
      components,
      logger: logger.child('maintenance'),
    });
    components.push(
      { name: 'ingest pump', start: () => ingestPump.start(), stop: () => ingestPump.stop() },
      { name: 'tally pump', start: () => tallyPump.start(), stop: () => tallyPump.stop() },
      { name: 'aggregate pump', start: () => aggregatePump.start(), stop: () => aggregatePump.stop() },
      maintenance,
    );

    let stopping: Promise<void> | undefined;
    const runtime: LocalRuntime = {
      config,
      logger,
      clock,
      layout,
      storage,
      blobService,
      store,
      eventLog,
      handlers,
      routes,
      ingestPump,
      tallyPump,
      aggregatePump,
      datasetB: { ...origin, rows: locations.size },
      get services() {
        return services;
      },
      url: '',
      addRoute: (route) => routes.add(route),
      addComponent: async (component) => {
        components.push(component);
        if (running) await component.start?.();
      },
      addLogConsumer: async (consumerOptions) => {
        const consumer = makeConsumer(consumerOptions);
        await runtime.addComponent({ name: `log consumer ${consumer.name}`, start: () => consumer.start(), stop: () => consumer.stop() });
        return consumer;
      },
      extendServices: (extra) => {
        services = { ...services, ...extra };
        useServices(services);
      },
      stop: () => (stopping ??= stopAll()),
    };

    const stopAll = async (): Promise<void> => {
      logger.info('stopping: no new requests; finishing the work under way');
      await server?.stop(HTTP_GRACE_MS).catch((error: unknown) => logger.warn(`while stopping the HTTP server: ${describeError(error)}`));
      stream.stop();
      running = false;
      for (const component of [...components].reverse()) {
        try {
          await component.stop?.();
        } catch (error) {
          logger.warn(`while stopping ${component.name}: ${describeError(error)}`);
        }
      }
      rmSync(layout.runtimeInfo, { force: true });
      await rollback();
      logger.info('stopped');
    };

    for (const plugin of options.plugins ?? []) await plugin(runtime);
    try {
      for (const component of components) await component.start?.();
      running = true;
      server = new LocalHttpServer({
        routes,
        staticDir: join(__dirname, 'dashboard'),
        maxBodyBytes: config.maxBodyBytes,
        logger: logger.child('http'),
      });
      const url = await server.listen(config.port, config.bindAddress);
      (runtime as { url: string }).url = url;
    } catch (error) {
      // Components may already run: stop them the normal way, which also undoes the earlier steps.
      await runtime.stop();
      throw error;
    }
    writeFileAtomic(
      layout.runtimeInfo,
      JSON.stringify(
        {
          url: runtime.url,
          pid: process.pid,
          dataDir: layout.root,
          blobEndpoint: storage.blobEndpoint,
          azuritePid: azurite?.pid ?? null,
          partitions: config.partitions,
          startedAt: new Date().toISOString(),
        },
        null,
        2,
      ) + '\n',
    );
    logger.info(`HTTP API: ${runtime.url}/api (events, top-items, health, locations, stream, odata)`);
    logger.info(`dashboard: ${runtime.url}/`);
    return runtime;
  } catch (error) {
    await rollback();
    throw error;
  }
}

function createMaintenance(parts: {
  store: LocalStore;
  eventLog: EventLog;
  tallyPump: FeedPump;
  aggregatePump: FeedPump;
  logConsumers: readonly LogConsumer[];
  components: readonly RuntimeComponent[];
  logger: Logger;
}): RuntimeComponent {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const once = async (): Promise<void> => {
    try {
      const expired = await parts.store.dedup.purgeExpired(parts.tallyPump.position());
      const folded = await parts.store.tallies.purgeThrough(parts.aggregatePump.position());
      let segments = 0;
      for (let partition = 0; partition < parts.eventLog.partitionCount; partition += 1) {
        const readers = [
          ...parts.logConsumers.map((consumer) => consumer.position(partition)),
          ...parts.components.flatMap((component) => (component.logPosition ? [component.logPosition(partition)] : [])),
        ];
        const oldestNeeded = Math.min(...readers);
        if (Number.isFinite(oldestNeeded)) segments += parts.eventLog.retainFrom(partition, oldestNeeded);
      }
      // After the purges, so that their deletions reach the database file in the same checkpoint.
      const walPages = await parts.store.database.checkpointWal();
      if (expired + folded + segments > 0) {
        parts.logger.debug(
          `forgot ${expired} expired and tallied dedup records, dropped ${folded} folded tallies and ${segments} consumed log segments; checkpointed ${walPages} WAL pages`,
        );
      }
    } catch (error) {
      parts.logger.warn(`maintenance failed, will try again: ${describeError(error)}`);
    }
  };
  return {
    name: 'maintenance',
    start: () => {
      timer = setInterval(() => {
        running ??= once().finally(() => (running = undefined));
      }, MAINTENANCE_INTERVAL_MS);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
