import type { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterSink } from '../shared/adapters/blob';
import { meteredDedup, meteredMetrics, meteredTallies } from '../shared/adapters/metered';
import { requestMeter } from '../shared/charges';
import type { LocalConfig } from '../shared/config';
import type { LocationTable } from '../shared/domain/locations';
import type { Clock, EventPublisher } from '../shared/ports';
import type { Services } from '../shared/services';
import type { ReadableLog } from './eventlog';
import { EventLogMetrics } from './metrics';
import type { LocalStore } from './store';

export interface LocalServicesParts {
  readonly config: LocalConfig;
  readonly clock: Clock;
  readonly store: LocalStore;
  readonly eventLog: ReadableLog;
  /** Where POST /api/events publishes: the event log, on the thread that writes it. */
  readonly publisher: EventPublisher;
  readonly blobService: BlobServiceClient;
  readonly locations: LocationTable;
  readonly backlog: () => { events: number; changes: number };
}

/**
 * The Services bundle of the local host: SQLite stores, the local event log, Azurite blobs. The
 * `accepted` counter is the event log's record count (see EventLogMetrics). Store requests are counted
 * by operation, as the Cosmos DB adapters would make them (shared/adapters/metered.ts).
 */
export function createLocalServices(parts: LocalServicesParts): Services {
  const { config, store } = parts;
  const locations = Promise.resolve(parts.locations);
  return {
    host: 'local',
    config,
    clock: parts.clock,
    dedup: meteredDedup(store.dedup, requestMeter),
    tallies: meteredTallies(store.tallies, requestMeter),
    counters: store.counters,
    rows: store.counters,
    metrics: meteredMetrics(new EventLogMetrics(store.metrics, parts.eventLog), requestMeter),
    operations: () => requestMeter.operations(),
    deadLetters: new BlobDeadLetterSink(parts.blobService, config.deadLetterContainer, { createContainer: true }),
    publisher: parts.publisher,
    locations: () => locations,
    backlog: () => Promise.resolve(parts.backlog()),
  };
}
