/**
 * The small interfaces the use-cases need. Each backend (Cosmos DB, Blob Storage, Event Hubs, the
 * local SQLite store and event log) implements them in its own folder under adapters/ or local/.
 */
import type { CounterState, CounterWindow } from './domain/counters';
import type { DetectionWire } from './domain/detection';
import type { Int64 } from './domain/ids';
import type { LocationTable } from './domain/locations';
import type { TopItemRow } from './domain/ranking';
import type { Tally } from './domain/tallies';

/** A detection as stored in the dedup store: `id` is the detection oid, `pk` its dedup partition. */
export interface DedupRecord {
  readonly id: Int64;
  readonly pk: string;
  readonly locationOid: Int64;
  readonly location: string | null;
  readonly cameraOid: Int64;
  readonly itemName: string;
  readonly timestampMs: number;
  /** When the record was first stored (ISO). The dedup horizon (TTL) runs from here. */
  readonly storedAt: string;
}

export type CreateOutcome =
  | { readonly status: 'created' }
  /** `existing` carries the stored facts when the store can tell them, to spot conflicting copies. */
  | { readonly status: 'duplicate'; readonly existing: Pick<DedupRecord, 'locationOid' | 'itemName'> | null };

export interface DedupStore {
  /** Creates each record unless its id already lives in its partition; never overwrites. Outcomes in input order. */
  createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]>;
}

/** Where the tallies of one dedup partition end, with the token that makes moving it conditional. */
export interface TallyCursor {
  /** The last change sequence tallied in the partition; null before its first tally. */
  readonly lastSequence: number | null;
  /** Optimistic-concurrency token: an ETag in Cosmos DB, a version locally; null when there is no cursor yet. */
  readonly etag: string | null;
}

export interface TallyStore {
  cursor(partition: string): Promise<TallyCursor>;
  /**
   * Stores the tally and moves its partition's cursor to the tally's last sequence, atomically, only
   * if the cursor still has `expectedEtag`. False if another writer moved it first.
   */
  append(tally: Tally, expectedEtag: string | null): Promise<boolean>;
}

export interface StoredCounter {
  readonly state: CounterState;
  /** Optimistic-concurrency token: an ETag in Cosmos DB, a version locally. */
  readonly etag: string;
}

export interface CounterCommit {
  readonly state: CounterState;
  /** The etag the state was computed from; null when the counter did not exist. */
  readonly expectedEtag: string | null;
  /** Per-item time to live in seconds (hourly counters); undefined never expires. */
  readonly ttlSeconds?: number;
  /**
   * The counter's flat rows, when its rows are due to be refreshed: written with the counter in the
   * same atomic write (only those that changed), which leaves the rows no longer due.
   */
  readonly rows?: readonly TopItemRow[];
}

export interface CounterStore {
  read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>>;
  /**
   * Writes the counter only if it still has `expectedEtag`; false if it lost a race. Marks its flat
   * rows due, in the same write, so a crash before the rows are refreshed leaves them due, not wrong;
   * or, with `rows`, writes them too and leaves them written.
   */
  commit(commit: CounterCommit): Promise<boolean>;
  /** Counters of the given windows (every window when omitted), of one location or all. */
  list(filter: { locationOid?: Int64; windows?: readonly CounterWindow[] }): Promise<CounterState[]>;
}

/** A counter whose flat rows reflect an older commit than its own. */
export interface DueRows {
  readonly state: CounterState;
  /** The counter's etag or version: the rows write applies only while the counter still has it. */
  readonly etag: string;
  /** The rows as last written (none before the first write). */
  readonly written: readonly TopItemRow[];
}

export interface DueFilter {
  /** Only counters last committed at or before this instant (ISO 8601): idle ones. */
  readonly updatedBefore?: string;
  /**
   * Where the store keeps a per-worker cache of the counters it committed, answer from it without a
   * query. What a cold cache misses (a restart), the timer's full query finds one cadence later.
   */
  readonly fromCache?: boolean;
}

/** The flat Power BI rows, refreshed from the counters on a cadence (see pipeline/refreshRows.ts). */
export interface RowsStore {
  /** Counters whose rows are due. */
  due(filter?: DueFilter): Promise<DueRows[]>;
  /**
   * Writes the rows that differ from `due.written` (and removes ranks that fell off), and clears the
   * counter's due mark, atomically, only if the counter still has `due.etag`. False when the counter
   * moved on: it is still due, and the next refresh writes its newer rows.
   */
  write(due: DueRows, rows: readonly TopItemRow[], ttlSeconds: number | undefined): Promise<boolean>;
  /** Drops hourly counters and rows of hours before `oldestHour`, where the store has no TTL of its own. */
  purgeBefore?(oldestHour: string): Promise<number>;
}

/** The Cosmos DB requests the code makes, by operation (see RequestMeter). */
export type CosmosOperation =
  'dedup_create' | 'dedup_conflict' | 'conflict_read' | 'tally_append' | 'counter_read' | 'counter_commit' | 'rows_write' | 'metrics';

/** Records each store request by operation, with its request charge (0 where the store has none). */
export interface RequestMeter {
  record(operation: CosmosOperation, requestCharge: number): void;
}

export const noMeter: RequestMeter = { record: () => undefined };

/** An event that could not be accepted, kept with its reason. */
export interface DeadLetter {
  readonly reason: string;
  /** The event as received, re-serialized when it was parsed, so ids are kept as text. */
  readonly raw: string;
  readonly source: string;
  readonly index: number;
  readonly receivedAt: string;
}

export interface DeadLetterSink {
  /** Writes one batch under a name derived from `batchKey`, so a redelivered batch overwrites rather than adds. */
  write(batchKey: string, letters: readonly DeadLetter[]): Promise<void>;
}

export interface PipelineCounters {
  accepted: number;
  stored: number;
  duplicates: number;
  conflicts: number;
  invalid: number;
  unknown_location: number;
}
export const COUNTER_NAMES: readonly (keyof PipelineCounters)[] = [
  'accepted',
  'stored',
  'duplicates',
  'conflicts',
  'invalid',
  'unknown_location',
];

export interface MetricsStore {
  add(delta: Partial<PipelineCounters>): Promise<void>;
  read(): Promise<PipelineCounters>;
}

export interface EventPublisher {
  /** Resolves once every event is durably stored by the transport (Event Hubs, or the local log). */
  publish(events: readonly DetectionWire[]): Promise<void>;
}

export interface LocationSource {
  load(): Promise<LocationTable>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
