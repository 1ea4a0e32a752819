import { type Tally, tallyDocumentOf, type TallyFeedDocument } from '../../../shared/domain/tallies';
import { noMeter, type RequestMeter, type TallyCursor, type TallyStore } from '../../../shared/ports';

/** The tallies container in memory: per-partition cursors moved conditionally, and the feed of tallies in order. */
export class InMemoryTallyStore implements TallyStore {
  private readonly cursors = new Map<string, { lastSequence: number; version: number }>();
  private readonly log: TallyFeedDocument[] = [];
  private readonly faults: Error[] = [];
  /** Counts the requests the Cosmos DB adapter would make (a cursor read, a batch). */
  meter: RequestMeter = noMeter;

  /** The next append throws this error, storing nothing. */
  failNext(error: Error = Object.assign(new Error('simulated 503: service unavailable'), { code: 503 })): void {
    this.faults.push(error);
  }

  cursor(partition: string): Promise<TallyCursor> {
    this.meter.record('tally_append', 0);
    const cursor = this.cursors.get(partition);
    return Promise.resolve(
      cursor ? { lastSequence: cursor.lastSequence, etag: String(cursor.version) } : { lastSequence: null, etag: null },
    );
  }

  append(tally: Tally, expectedEtag: string | null): Promise<boolean> {
    this.meter.record('tally_append', 0);
    const fault = this.faults.shift();
    if (fault) return Promise.reject(fault);
    const cursor = this.cursors.get(tally.partition);
    if ((cursor ? String(cursor.version) : null) !== expectedEtag) return Promise.resolve(false);
    this.log.push({ ...tallyDocumentOf(tally), _lsn: this.log.length + 1 });
    this.cursors.set(tally.partition, { lastSequence: tally.lastSequence, version: (cursor?.version ?? 0) + 1 });
    return Promise.resolve(true);
  }

  /** Every tally created so far, in creation order, as the feed delivers them. */
  feed(): TallyFeedDocument[] {
    return [...this.log];
  }
}
