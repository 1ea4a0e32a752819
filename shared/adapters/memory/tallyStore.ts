import type { Tally } from '../../domain/tallies';
import type { TallyCursor, TallyStore } from '../../ports';

/** A tally as the tally feed delivers it: the Cosmos DB document shape, with its feed sequence. */
export interface MemoryTallyDocument extends Omit<Tally, 'partition'> {
  readonly pk: string;
  readonly type: 'tally';
  readonly _lsn: number;
}

/** The tallies container in memory: per-partition cursors moved conditionally, and the feed of tallies in order. */
export class InMemoryTallyStore implements TallyStore {
  private readonly cursors = new Map<string, { lastSequence: number; version: number }>();
  private readonly log: MemoryTallyDocument[] = [];
  private readonly faults: Error[] = [];

  /** The next append throws this error, storing nothing. */
  failNext(error: Error = Object.assign(new Error('simulated 503: service unavailable'), { code: 503 })): void {
    this.faults.push(error);
  }

  cursor(partition: string): Promise<TallyCursor> {
    const cursor = this.cursors.get(partition);
    return Promise.resolve(
      cursor ? { lastSequence: cursor.lastSequence, etag: String(cursor.version) } : { lastSequence: null, etag: null },
    );
  }

  append(tally: Tally, expectedEtag: string | null): Promise<boolean> {
    const fault = this.faults.shift();
    if (fault) return Promise.reject(fault);
    const cursor = this.cursors.get(tally.partition);
    if ((cursor ? String(cursor.version) : null) !== expectedEtag) return Promise.resolve(false);
    const { partition, ...rest } = tally;
    this.log.push({ ...rest, pk: partition, type: 'tally', _lsn: this.log.length + 1 });
    this.cursors.set(partition, { lastSequence: tally.lastSequence, version: (cursor?.version ?? 0) + 1 });
    return Promise.resolve(true);
  }

  /** Every tally created so far, in creation order, as the feed delivers them. */
  feed(): MemoryTallyDocument[] {
    return [...this.log];
  }
}
