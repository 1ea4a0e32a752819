import { type Clock, type CreateOutcome, type DedupRecord, type DedupStore, noMeter, type RequestMeter } from '../../../shared/ports';
import { countCreates } from '../../../shared/adapters/metered';
import { systemClock } from '../../../shared/ports';

/** A stored record as the change feed shows it: the record plus its partition's change sequence. */
export interface MemoryChange extends DedupRecord {
  readonly _lsn: number;
}

interface Entry {
  readonly change: MemoryChange;
  readonly storedAtMs: number;
}

export interface InMemoryDedupOptions {
  /** Records older than this (from when they were stored) are forgotten, like Cosmos DB TTL. */
  readonly ttlSeconds?: number;
  readonly clock?: Clock;
}

/**
 * The dedup store in memory, with the semantics of the Cosmos DB container: create-only, an id is
 * unique within its partition, optional TTL from when the record was stored, and a change log in
 * which sequences grow per partition (Cosmos DB's `_lsn`).
 */
export class InMemoryDedupStore implements DedupStore {
  private readonly entries = new Map<string, Entry>();
  private readonly log: MemoryChange[] = [];
  private sequence = 0;
  private readonly faults: Error[] = [];
  private readonly clock: Clock;
  /** How many times createMany was called; tests use it to prove batching. */
  calls = 0;
  /** Counts the requests the Cosmos DB adapter would make. */
  meter: RequestMeter = noMeter;

  constructor(private readonly options: InMemoryDedupOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** The next createMany throws this error (as a throttled or unavailable store would), storing nothing. */
  failNext(error: Error = Object.assign(new Error('simulated 429: request rate is large'), { code: 429 })): void {
    this.faults.push(error);
  }

  createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]> {
    this.calls += 1;
    const fault = this.faults.shift();
    if (fault) return Promise.reject(fault);
    const nowMs = this.clock.now();
    const outcomes = records.map((record): CreateOutcome => {
      const key = `${record.pk}|${record.id}`;
      const existing = this.live(key, nowMs);
      if (existing) {
        return { status: 'duplicate', existing: { locationOid: existing.change.locationOid, itemName: existing.change.itemName } };
      }
      this.sequence += 1;
      const change: MemoryChange = { ...record, _lsn: this.sequence };
      this.entries.set(key, { change, storedAtMs: nowMs });
      this.log.push(change);
      return { status: 'created' };
    });
    return Promise.resolve(countCreates(outcomes, this.meter));
  }

  /** Every record created so far, in creation order, in the shape the change feed delivers. */
  changes(): MemoryChange[] {
    return [...this.log];
  }

  /** Records currently remembered (not yet expired). */
  size(): number {
    const nowMs = this.clock.now();
    return [...this.entries.keys()].filter((key) => this.live(key, nowMs)).length;
  }

  private live(key: string, nowMs: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const ttl = this.options.ttlSeconds;
    if (ttl !== undefined && nowMs - entry.storedAtMs >= ttl * 1000) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
