/** Pure helpers of the model: documented RU by size, popularity distributions, document sizes. */
import { AUTOSCALE_STEP, DOCUMENTED_RU_BY_SIZE } from './constants';

/** Piecewise-linear in document size over the documented table; at or below 1 KB the 1 KB figure applies. */
export function documentedRu(kind: 'read' | 'write', kb: number): number {
  const table = DOCUMENTED_RU_BY_SIZE;
  const first = table[0] as (typeof table)[number];
  if (kb <= first.kb) return first[kind];
  for (let i = 1; i < table.length; i += 1) {
    const low = table[i - 1] as (typeof table)[number];
    const high = table[i] as (typeof table)[number];
    if (kb <= high.kb) return low[kind] + ((kb - low.kb) / (high.kb - low.kb)) * (high[kind] - low[kind]);
  }
  const last = table[table.length - 1] as (typeof table)[number];
  return (last[kind] * kb) / last.kb;
}

/** Zipf probabilities for ranks 1..n, as the generator draws them. */
export function zipf(n: number, exponent: number): number[] {
  const weights = Array.from({ length: n }, (_, rank) => 1 / (rank + 1) ** exponent);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/** Expected distinct categories hit by `draws` independent draws from `probabilities`. */
export function expectedDistinct(probabilities: readonly number[], draws: number): number {
  return probabilities.reduce((sum, p) => sum + (1 - (1 - p) ** draws), 0);
}

export function roundUpTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

export function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

/** Bytes of a dedup record as the Cosmos adapter stores it, 19-digit ids (the worst case). */
export function dedupRecordBytes(systemPropertyBytes: number): number {
  const record = {
    id: '9223372036854775807',
    pk: '63',
    locationOid: '9223372036854775807',
    location: 'Market Square, North Side',
    cameraOid: '9223372036854775807',
    itemName: 'shopping trolley',
    timestampMs: 1_763_800_000_000,
    storedAt: '2026-11-22T10:00:00.000Z',
    ttl: 86_400,
  };
  return Buffer.byteLength(JSON.stringify(record)) + systemPropertyBytes;
}

/**
 * Bytes of a counter document: `items` item counts, one watermark per dedup partition, and the copy of
 * the top `rows` items its row documents were last written from (so a rows refresh writes only changes).
 */
export function counterDocumentBytes(items: number, dedupPartitions: number, systemPropertyBytes: number, rows = 10): number {
  const item = (index: number) => ({ name: `item name ${index}`.padEnd(12, 'x'), count: 1_234_567 });
  const document = {
    id: 'counter|2026-11-22T10',
    type: 'counter',
    locationOid: '9223372036854775807',
    location: 'Market Square, North Side',
    window: '2026-11-22T10',
    items: Array.from({ length: items }, (_, index) => item(index)),
    total: 123_456_789,
    watermarks: Object.fromEntries(Array.from({ length: dedupPartitions }, (_, index) => [String(index), 123_456_789])),
    updatedAt: '2026-11-22T10:00:00.000Z',
    rowsDue: false,
    rowsItems: Array.from({ length: Math.min(rows, items) }, (_, index) => item(index)),
    rowsLocation: 'Market Square, North Side',
    ttl: 7_776_000,
  };
  return Buffer.byteLength(JSON.stringify(document)) + systemPropertyBytes;
}

/** A partition's cursor: id, pk, type, lastSequence, ttl (system properties added apart). */
export const CURSOR_DOCUMENT_BYTES = 90;

/** Bytes of a tally summing `entries` (location, hour, item) counts over `locations` locations. */
export function tallyDocumentBytes(locations: number, entries: number, systemPropertyBytes: number): number {
  const count = ['2026-11-22T10', 'shopping trolley', 148];
  const location = { locationOid: '9223372036854775807', location: 'Market Square, North Side', counts: [] as unknown[] };
  const tally = {
    id: '63:123456789012',
    firstSequence: 123_456_789_012,
    lastSequence: 123_456_789_160,
    changes: 148,
    locations: [] as unknown[],
    pk: '63',
    type: 'tally',
  };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  // Each further element adds its own bytes and a comma.
  const perLocation = bytes(location) + 1;
  const perEntry = bytes(count) + 1;
  return bytes(tally) + locations * perLocation + entries * perEntry + systemPropertyBytes;
}

/** Bytes of one flat top-item row document. */
export function rowDocumentBytes(systemPropertyBytes: number): number {
  const row = {
    id: 'row|2026-11-22T10|10',
    type: 'topItem',
    locationOid: '9223372036854775807',
    geographical_location_oid: '9223372036854775807',
    geographical_location: 'Market Square, North Side',
    item_rank: 10,
    item_name: 'shopping trolley',
    item_count: 1_234_567,
    window: 'hour:2026-11-22T10',
    window_start: '2026-11-22T10:00:00.000Z',
    window_end: '2026-11-22T11:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
    ttl: 7_776_000,
  };
  return Buffer.byteLength(JSON.stringify(row)) + systemPropertyBytes;
}

export const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Autoscale max for a steady need: need × headroom, rounded up to the 1,000 RU/s step, at least 1,000. */
export function autoscaleMax(ruPerSecond: number, headroom: number): number {
  return Math.max(AUTOSCALE_STEP, roundUpTo(ruPerSecond * headroom, AUTOSCALE_STEP));
}

/**
 * TTL deletes left out of the need still run in the RU/s user requests leave over: when there are too
 * few, deletion lags, and at a steady expiry rate the backlog (and the storage) never stops growing. So
 * the max leaves room for them at the steady need, though not with headroom: they can wait out a burst.
 */
export function autoscaleMaxWithTtl(ruPerSecond: number, uncountedTtlRu: number, headroom: number): number {
  const withHeadroom = autoscaleMax(ruPerSecond, headroom);
  return uncountedTtlRu > 0 ? Math.max(withHeadroom, roundUpTo(ruPerSecond + uncountedTtlRu, AUTOSCALE_STEP)) : withHeadroom;
}

/**
 * Items per change-feed invocation on one lease: what the lease receives in one cycle, at least one and
 * at most maxItemsPerInvocation. The processor reads again as soon as a handler returns while its feed
 * has changes (it waits feedPollDelay only after an empty read), so the cycle is the one the handler
 * holds: a batch smaller than maxItemsPerInvocation returns no earlier than a cycle after it started.
 * Both trigger stages (tally on the dedup feed, aggregate on the tallies feed) batch by this rule.
 */
export function feedBatch(batchMax: number, cycleSeconds: number, ratePerLease: number): number {
  return Math.max(1, Math.min(batchMax, ratePerLease * cycleSeconds));
}
