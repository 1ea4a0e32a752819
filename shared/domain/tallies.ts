import { type Int64, parseInt64 } from './ids';
import { type HourKey, hourKeyOf, isHourKey } from './windows';

/**
 * A newly stored detection as the aggregator sees it on the dedup store's change feed. `partition`
 * is the dedup store's logical partition and `sequence` its change number there (`_lsn` in Cosmos
 * DB): sequences only grow within one partition, which is what makes the counters' watermarks exact.
 */
export interface CountedChange {
  readonly partition: string;
  readonly sequence: number;
  readonly detectionOid: Int64;
  readonly locationOid: Int64;
  readonly location: string | null;
  readonly itemName: string;
  readonly timestampMs: number;
}

/**
 * Aggregation runs in two stages. The first turns each change-feed batch of the dedup store into one
 * tally per dedup partition: how many detections of each item, per location and hour, a contiguous
 * run of that partition's changes holds. The second folds tallies into the counters.
 *
 * Why: a change-feed batch comes from one lease, and every lease holds a hash share of every
 * location, so folding batches straight into the counters commits nearly every counter once per lease
 * per cycle. Tallies are few and small, and the tally feed is read by one writer, which commits each
 * counter once per cycle however many leases the dedup store has.
 *
 * A tally's id is its partition and first sequence. Creating tallies is create-only, so a batch that
 * is delivered again finds its tally already there and only tallies what lies beyond that tally's
 * last sequence: the tallies of one partition never overlap, whatever the batch boundaries were.
 */
export interface Tally {
  readonly id: string;
  /** The dedup partition (`pk`) the changes came from. */
  readonly partition: string;
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** How many detections the tally counts. */
  readonly changes: number;
  readonly locations: readonly TallyLocation[];
}

export interface TallyLocation {
  readonly locationOid: Int64;
  /** The location's name as the latest change in the run knew it (null: not in Dataset B then). */
  readonly location: string | null;
  /** [hour of event time, item name, detections], by hour then item. */
  readonly counts: readonly TallyCount[];
}

export type TallyCount = readonly [hour: HourKey, itemName: string, count: number];

/** A tally as stored: its dedup partition as `pk`, the partition key of the tallies container. */
export interface TallyDocument extends Omit<Tally, 'partition'> {
  readonly pk: string;
  readonly type: 'tally';
}

/** A tally as the tally feed delivers it, with its sequence on that feed. */
export type TallyFeedDocument = TallyDocument & { readonly _lsn: number };

export function tallyDocumentOf(tally: Tally): TallyDocument {
  const { partition, ...rest } = tally;
  return { ...rest, pk: partition, type: 'tally' };
}

export function tallyId(partition: string, firstSequence: number): string {
  return `${partition}:${firstSequence}`;
}

/** A batch's changes per dedup partition, each run in sequence order, a repeated change once. */
export function runsByPartition(changes: readonly CountedChange[]): Map<string, CountedChange[]> {
  const runs = new Map<string, CountedChange[]>();
  for (const change of changes) {
    const run = runs.get(change.partition);
    if (run) run.push(change);
    else runs.set(change.partition, [change]);
  }
  for (const [partition, run] of runs) {
    run.sort((a, b) => a.sequence - b.sequence);
    runs.set(
      partition,
      run.filter((change, index) => index === 0 || change.sequence !== (run[index - 1] as CountedChange).sequence),
    );
  }
  return runs;
}

/** The changes of a run that lie beyond `lastSequence`: what an existing tally has not counted. */
export function changesAfter(run: readonly CountedChange[], lastSequence: number): CountedChange[] {
  return run.filter((change) => change.sequence > lastSequence);
}

/** Sums a non-empty run of one partition's changes, in sequence order, into a tally. */
export function tallyOf(run: readonly CountedChange[]): Tally {
  const first = run[0];
  const last = run[run.length - 1];
  if (!first || !last) throw new Error('a tally needs at least one change');
  const byLocation = new Map<Int64, { location: string | null; counts: Map<string, number> }>();
  for (const change of run) {
    if (change.partition !== first.partition)
      throw new Error(`a tally holds one partition, got ${first.partition} and ${change.partition}`);
    let entry = byLocation.get(change.locationOid);
    if (!entry) byLocation.set(change.locationOid, (entry = { location: null, counts: new Map() }));
    if (change.location !== null) entry.location = change.location;
    const key = `${hourKeyOf(change.timestampMs)}\u0000${change.itemName}`;
    entry.counts.set(key, (entry.counts.get(key) ?? 0) + 1);
  }
  const locations = [...byLocation].map(([locationOid, { location, counts }]) => ({
    locationOid,
    location,
    counts: [...counts]
      .map(([key, count]): TallyCount => {
        const split = key.indexOf('\u0000');
        return [key.slice(0, split), key.slice(split + 1), count];
      })
      .sort(compareCounts),
  }));
  return {
    id: tallyId(first.partition, first.sequence),
    partition: first.partition,
    firstSequence: first.sequence,
    lastSequence: last.sequence,
    changes: run.length,
    locations,
  };
}

function compareCounts(a: TallyCount, b: TallyCount): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export type TallyParse = { readonly ok: true; readonly tally: Tally } | { readonly ok: false; readonly problem: string };

/**
 * Reads a tally document off the tally feed (a Cosmos DB item, or the local tally log in the same
 * shape). Anything else is reported with the reason, never thrown on, so it cannot block the feed.
 */
export function parseTallyDocument(document: unknown): TallyParse {
  const fail = (problem: string): TallyParse => ({ ok: false, problem });
  if (typeof document !== 'object' || document === null) return fail('not an object');
  const doc = document as Record<string, unknown>;
  const { id, pk, firstSequence, lastSequence, changes, locations } = doc;
  if (typeof pk !== 'string' || pk === '') return fail('pk is not a non-empty string');
  if (!isSequence(firstSequence) || !isSequence(lastSequence) || firstSequence > lastSequence)
    return fail('firstSequence and lastSequence are not sequences in order');
  if (id !== tallyId(pk, firstSequence)) return fail(`id is not "${tallyId(pk, firstSequence)}"`);
  if (!isCount(changes)) return fail('changes is not a positive integer');
  if (!Array.isArray(locations)) return fail('locations is not an array');
  const parsed: TallyLocation[] = [];
  let total = 0;
  for (const [index, entry] of locations.entries()) {
    const where = `locations[${index}]`;
    if (typeof entry !== 'object' || entry === null) return fail(`${where} is not an object`);
    const { locationOid, location, counts } = entry as Record<string, unknown>;
    if (!isCanonicalInt64(locationOid)) return fail(`${where}.locationOid is not a canonical int64 string`);
    if (location !== null && typeof location !== 'string') return fail(`${where}.location is neither a string nor null`);
    if (!Array.isArray(counts) || counts.length === 0) return fail(`${where}.counts is not a non-empty array`);
    for (const count of counts as unknown[]) {
      if (!Array.isArray(count) || count.length !== 3) return fail(`${where}.counts holds an entry that is not [hour, item, count]`);
      const [hour, itemName, n] = count as unknown[];
      if (typeof hour !== 'string' || !isHourKey(hour)) return fail(`${where}.counts holds an hour that is not an hour key`);
      if (typeof itemName !== 'string') return fail(`${where}.counts holds an item name that is not a string`);
      if (!isCount(n)) return fail(`${where}.counts holds a count that is not a positive integer`);
      total += n;
    }
    parsed.push({ locationOid, location, counts: counts as TallyCount[] });
  }
  if (total !== changes) return fail(`the counts add up to ${total}, not to changes (${changes})`);
  return { ok: true, tally: { id, partition: pk, firstSequence, lastSequence, changes, locations: parsed } };
}

function isCanonicalInt64(value: unknown): value is Int64 {
  if (typeof value !== 'string') return false;
  const parsed = parseInt64(value);
  return parsed.ok && parsed.value === value;
}

function isSequence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
