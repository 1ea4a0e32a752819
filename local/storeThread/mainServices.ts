import type { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterSink } from '../../shared/adapters/blob';
import type { LocalConfig } from '../../shared/config';
import type { LocationTable } from '../../shared/domain/locations';
import type { Clock } from '../../shared/ports';
import type { Services } from '../../shared/services';
import { type EventLog, EventLogPublisher } from '../eventlog';
import type { StoreThread } from './client';

export interface MainServicesParts {
  readonly config: LocalConfig;
  readonly clock: Clock;
  readonly eventLog: EventLog;
  readonly thread: StoreThread;
  readonly blobService: BlobServiceClient;
  readonly locations: LocationTable;
}

/**
 * The Services bundle of the main thread, where only POST /api/events runs: it publishes to the event
 * log written here and adds its counters through the store worker. The stores live in the worker, and
 * every handler that reads or writes them runs there.
 */
export function createMainServices(parts: MainServicesParts): Services {
  const locations = Promise.resolve(parts.locations);
  return {
    host: 'local',
    config: parts.config,
    clock: parts.clock,
    dedup: inTheStoreWorker('the dedup store'),
    tallies: inTheStoreWorker('the tally store'),
    counters: inTheStoreWorker('the counter store'),
    rows: inTheStoreWorker('the rows store'),
    metrics: parts.thread.metrics(),
    deadLetters: new BlobDeadLetterSink(parts.blobService, parts.config.deadLetterContainer, { createContainer: true }),
    publisher: new EventLogPublisher(parts.eventLog),
    locations: () => locations,
    backlog: () => Promise.reject(new Error('the backlog is known to the store worker: GET /api/health runs there')),
  };
}

/** A port whose every method fails with a message saying where it lives. */
function inTheStoreWorker<T extends object>(what: string): T {
  return new Proxy({} as T, {
    // Not a thenable: awaiting the port itself must not call a method.
    get: (_target, property) =>
      property === 'then' ? undefined : () => Promise.reject(new Error(`${what} lives in the store worker; this handler must run there`)),
  });
}
