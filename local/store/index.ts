import type { Clock, RequestMeter } from '../../shared/ports';
import { systemClock } from '../../shared/ports';
import { type ChangeDocument, ChangeLog } from './changeLog';
import { CheckpointStore } from './checkpoints';
import { SqliteCounterStore } from './counterStore';
import { LocalDatabase } from './database';
import { SqliteDedupStore } from './dedupStore';
import { SqliteMetricsStore } from './metricsStore';
import { ensureSchema, pinSetting, SCHEMA_VERSION } from './schema';
import { SqliteTallyStore } from './tallyStore';

export { ChangeLog, type ChangeDocument } from './changeLog';
export { CheckpointStore } from './checkpoints';
export { SqliteCounterStore } from './counterStore';
export { LocalDatabase, type UnitScope } from './database';
export { SqliteDedupStore } from './dedupStore';
export { SqliteMetricsStore } from './metricsStore';
export { SqliteTallyStore } from './tallyStore';

export interface LocalStoreOptions {
  readonly dedupTtlSeconds: number;
  readonly dedupPartitions: number;
  readonly clock?: Clock;
  /** Counts the counter store's requests by operation. */
  readonly meter?: RequestMeter;
}

/** Every local store on one SQLite file. */
export interface LocalStore {
  readonly database: LocalDatabase;
  readonly dedup: SqliteDedupStore;
  readonly changes: ChangeLog;
  /** The dedup records in lsn order as the `tally` stage reads them, like the dedup container's change feed. */
  readonly changeFeed: { head(): number; readAfter(after: number, limit: number): Promise<ChangeDocument[]> };
  readonly tallies: SqliteTallyStore;
  readonly counters: SqliteCounterStore;
  readonly metrics: SqliteMetricsStore;
  readonly checkpoints: CheckpointStore;
  close(): Promise<void>;
}

export function openLocalStore(path: string, options: LocalStoreOptions): LocalStore {
  const clock = options.clock ?? systemClock;
  const database = LocalDatabase.open(path);
  try {
    ensureSchema(database);
    pinSetting(
      database,
      'SCHEMA_VERSION',
      SCHEMA_VERSION,
      'this store was written by another version of the runtime; start with an empty DATA_DIR',
    );
    pinSetting(
      database,
      'DEDUP_PARTITIONS',
      String(options.dedupPartitions),
      'a different count sends a retried detection to a different partition; keep the old value or start with an empty DATA_DIR',
    );
  } catch (error) {
    void database.close();
    throw error;
  }
  const dedup = new SqliteDedupStore(database, { ttlSeconds: options.dedupTtlSeconds, clock });
  const changes = new ChangeLog(database);
  return {
    database,
    dedup,
    changes,
    changeFeed: { head: () => dedup.head(), readAfter: (after, limit) => changes.readAfter(after, limit) },
    tallies: new SqliteTallyStore(database),
    counters: new SqliteCounterStore(database, options.meter),
    metrics: new SqliteMetricsStore(database),
    checkpoints: new CheckpointStore(database, clock),
    close: () => database.close(),
  };
}
