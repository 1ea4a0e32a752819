import { BlobCaptureArchive } from '../../shared/adapters/blob/captureArchive';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { requestMeter } from '../../shared/charges';
import type { LocalConfig } from '../../shared/config';
import type { LocationTable } from '../../shared/domain/locations';
import { type Clock, type EventPublisher, systemClock } from '../../shared/ports';
import type { Services } from '../../shared/services';
import { resetServices, useServices } from '../../functions/services';
import { CaptureWriter, LOCAL_CAPTURE_LOCATION } from '../capture';
import { dataLayout } from '../dataDir';
import { EventLogMirror, type PartitionState } from '../eventlog';
import { type FunctionHandlers, loadFunctionHandlers } from '../functions';
import { describeError, type Logger } from '../log';
import { createMaintenance } from '../maintenance';
import { FeedPump } from '../pumps/feedPump';
import { ingestBatchHandler } from '../pumps/ingestPump';
import { LogConsumer } from '../pumps/logConsumer';
import { LocalReplays } from '../replay';
import type { FunctionRoute } from '../routes';
import { createRowsTimer } from '../rowsTimer';
import type { RuntimeComponent } from '../runtime';
import { createLocalServices } from '../services';
import { openLocalStore, type LocalStore } from '../store';

export const TALLY_CHECKPOINT = 'changes/tally';
export const AGGREGATE_CHECKPOINT = 'tallies/aggregate';
/** Tallies per `aggregate` batch, as `maxItemsPerInvocation` of its trigger in Azure. */
const TALLY_BATCH_SIZE = 1000;

export interface StorePipelineParts {
  readonly config: LocalConfig;
  readonly dataDir: string;
  readonly storageConnection: string;
  readonly locations: LocationTable;
  readonly logState: readonly PartitionState[];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Told when maintenance deleted log segments, so that the log's writer forgets them too. */
  readonly onRetained: (partition: number, sequence: number) => void;
  /** Delivers at once the messages that wait for this thread (durable notices among them). */
  readonly takeMessages?: () => void;
}

/** The store side of the runtime: the SQLite store and everything that writes it, on one thread. */
export interface StorePipeline {
  readonly store: LocalStore;
  /** The event log as the writer last reported it durable. */
  readonly eventLog: EventLogMirror;
  /** The Services bundle the handlers on this thread see. */
  readonly services: Services;
  /** The HTTP handlers that run here (reads of the store, replay). */
  readonly routes: readonly FunctionRoute[];
  start(): Promise<void>;
  /** Stops every part in reverse order, then closes the store. */
  stop(): Promise<void>;
}

/** The SQLite store, the pumps feeding the real `ingest`, `tally` and `aggregate`, the timers and replay. */
export async function openStorePipeline(parts: StorePipelineParts): Promise<StorePipeline> {
  const { config, logger } = parts;
  const clock = parts.clock ?? systemClock;
  const layout = dataLayout(parts.dataDir);
  const store = openLocalStore(layout.store, {
    dedupTtlSeconds: config.dedupTtlSeconds,
    dedupPartitions: config.dedupPartitions,
    clock,
    meter: requestMeter,
  });
  try {
    const eventLog = new EventLogMirror(parts.logState, parts.onRetained, parts.takeMessages);
    const handlers = await loadFunctionHandlers();
    const pumps = createPumps(config, logger, store, eventLog, handlers);
    const blobService = createBlobServiceClient(
      { kind: 'connectionString', value: parts.storageConnection },
      // A pump holds the store while it writes dead letters: fail fast and let the pump retry.
      { retryOptions: { maxTries: 3, tryTimeoutInMs: 15_000, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 } },
    );
    const archive = new BlobCaptureArchive(blobService, config.captureContainer, LOCAL_CAPTURE_LOCATION, { createContainer: true });
    const services: Services = {
      ...createLocalServices({
        config,
        clock,
        store,
        eventLog,
        publisher: notOnThisThread(),
        blobService,
        locations: parts.locations,
        // Stored detections not yet counted: those not yet tallied, and those in tallies not yet folded.
        backlog: () => ({
          events: pumps.ingestPump.backlog(),
          changes: pumps.tallyPump.backlog() + store.tallies.changesAfter(pumps.aggregatePump.position()),
        }),
      }),
      captures: archive,
    };
    useServices(services);
    const replays = new LocalReplays({
      archive,
      services: () => services,
      database: store.database,
      logger: logger.child('replay'),
      sliceEvents: config.ingestBatchSize,
      onCommitted: () => pumps.tallyPump.wake(),
    });
    const components = pipelineComponents(store, eventLog, pumps, handlers, replays, logger);
    return pipelineOf({ store, eventLog, services, routes: [...storeRoutes(handlers), ...replays.routes()] }, components, logger);
  } catch (error) {
    resetServices();
    await store.close();
    throw error;
  }
}

interface Pumps {
  readonly ingestPump: LogConsumer;
  readonly tallyPump: FeedPump;
  readonly aggregatePump: FeedPump;
}

function createPumps(config: LocalConfig, logger: Logger, store: LocalStore, eventLog: EventLogMirror, handlers: FunctionHandlers): Pumps {
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
  const ingestPump = new LogConsumer({
    name: 'ingest',
    log: eventLog,
    database: store.database,
    checkpoints: store.checkpoints,
    batchSize: config.ingestBatchSize,
    handle: ingestBatchHandler(handlers.ingest, logger.child('ingest')),
    afterCommit: () => tallyPump.wake(),
    logger: logger.child('ingest'),
  });
  return { ingestPump, tallyPump, aggregatePump };
}

/** In start order: the pumps, the rows timer, capture's log position, replay, maintenance. */
function pipelineComponents(
  store: LocalStore,
  eventLog: EventLogMirror,
  { ingestPump, tallyPump, aggregatePump }: Pumps,
  handlers: FunctionHandlers,
  replays: LocalReplays,
  logger: Logger,
): RuntimeComponent[] {
  const components: RuntimeComponent[] = [
    { name: 'ingest pump', start: () => ingestPump.start(), stop: () => ingestPump.stop() },
    { name: 'tally pump', start: () => tallyPump.start(), stop: () => tallyPump.stop() },
    { name: 'aggregate pump', start: () => aggregatePump.start(), stop: () => aggregatePump.stop() },
    createRowsTimer(handlers.refreshRows, logger.child('refreshRows')),
    // Capture runs on the log's thread; its checkpoints are committed here, so its position is read here.
    {
      name: 'capture position',
      logPosition: (partition) => store.checkpoints.getNow(CaptureWriter.checkpointKey(partition)) ?? eventLog.startSequence(partition),
    },
    { name: 'replay', stop: () => replays.stop() },
  ];
  const pumps = { tallyPump, aggregatePump, logConsumers: [ingestPump] };
  components.push(createMaintenance({ store, eventLog, pumps, components, logger: logger.child('maintenance') }));
  return components;
}

function storeRoutes(handlers: FunctionHandlers): FunctionRoute[] {
  return [
    { method: 'GET', path: '/api/top-items', name: 'topItems', handler: handlers.topItems },
    { method: 'GET', path: '/api/health', name: 'health', handler: handlers.health },
    { method: 'GET', path: '/api/locations', name: 'locations', handler: handlers.locations },
    { method: 'GET', path: /^\/api\/odata(?:\/(?<path>.*))?$/, name: 'odata', handler: handlers.odata },
  ];
}

function pipelineOf(
  parts: Pick<StorePipeline, 'store' | 'eventLog' | 'services' | 'routes'>,
  components: readonly RuntimeComponent[],
  logger: Logger,
): StorePipeline {
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    for (const component of [...components].reverse()) {
      try {
        await component.stop?.();
      } catch (error) {
        logger.warn(`while stopping ${component.name}: ${describeError(error)}`);
      }
    }
    resetServices();
    await parts.store.close();
  };
  return {
    ...parts,
    start: async () => {
      for (const component of components) await component.start?.();
    },
    stop: () => (stopping ??= stop()),
  };
}

/** POST /api/events runs on the main thread, next to the log it appends to; nothing here publishes. */
function notOnThisThread(): EventPublisher {
  return {
    publish: () => Promise.reject(new Error('events are published on the main thread, which writes the event log')),
  };
}
