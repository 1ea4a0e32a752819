import type { MemoryChange } from '../support/memory';

/** A small deterministic PRNG (mulberry32), so every run of a seeded scenario is the same. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedEvent {
  readonly detection: string;
  readonly location: string;
  readonly camera: string;
  readonly item: string;
  readonly timestampMs: number;
}

const ITEMS = ['car', 'bus', 'van', 'bike', 'Car', 'tram', 'é', '😀', '\uffff', 'a'];
const BASE_MS = Date.UTC(2026, 10, 22, 8);

/**
 * Events with repeats: about a quarter re-send an earlier detection oid (some with a different item,
 * a conflict), ids straddle 2^53, and timestamps spread over a few hours, some late.
 */
export function generateEvents(count: number, seed: number, locations = 5): GeneratedEvent[] {
  const next = random(seed);
  const events: GeneratedEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    const earlier = events.length > 0 && next() < 0.25 ? events[Math.floor(next() * events.length)] : undefined;
    if (earlier) {
      events.push(next() < 0.3 ? { ...earlier, item: ITEMS[Math.floor(next() * ITEMS.length)] as string } : earlier);
      continue;
    }
    events.push({
      detection: (9007199254740000n + BigInt(index) * 7n).toString(),
      location:
        next() < 0.5
          ? String(1 + Math.floor(next() * locations))
          : (9223372036854775000n + BigInt(Math.floor(next() * locations))).toString(),
      camera: String(1 + Math.floor(next() * 20)),
      item: ITEMS[Math.floor(next() * ITEMS.length)] as string,
      timestampMs: BASE_MS + Math.floor(next() * 4 * 3_600_000),
    });
  }
  return events;
}

export function eventText(event: GeneratedEvent): string {
  return JSON.stringify({
    geographical_location_oid: event.location,
    video_camera_oid: event.camera,
    detection_oid: event.detection,
    item_name: event.item,
    timestamp_detected: event.timestampMs,
  }).replace(/"(geographical_location_oid|detection_oid)":"(\d+)"/g, '"$1":$2');
}

/** counts[location][window][item], computed straight from the events: the first copy of each detection counts. */
export type Tally = Map<string, Map<string, Map<string, number>>>;

export function independentTally(events: readonly GeneratedEvent[]): Tally {
  const seen = new Set<string>();
  const tally: Tally = new Map();
  for (const event of events) {
    if (seen.has(event.detection)) continue;
    seen.add(event.detection);
    const hour = new Date(event.timestampMs).toISOString().slice(0, 13);
    for (const window of ['all', hour]) {
      let windows = tally.get(event.location);
      if (!windows) tally.set(event.location, (windows = new Map<string, Map<string, number>>()));
      let items = windows.get(window);
      if (!items) windows.set(window, (items = new Map<string, number>()));
      items.set(event.item, (items.get(event.item) ?? 0) + 1);
    }
  }
  return tally;
}

/** Ranking written independently of the domain code: count descending, then name by code point. */
export function rankedFromTally(items: Map<string, number>): { name: string; count: number }[] {
  const codePoints = (text: string): number[] => Array.from(text, (char) => char.codePointAt(0) as number);
  return [...items]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => {
      if (a.count !== b.count) return b.count - a.count;
      const x = codePoints(a.name);
      const y = codePoints(b.name);
      for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    });
}

/**
 * The change feed as leases see it: each lease owns some dedup partitions and delivers their
 * changes in sequence order. A batch is always a contiguous run of one lease's changes.
 */
export function leasesOf(changes: readonly MemoryChange[], leases: number): MemoryChange[][] {
  const byLease: MemoryChange[][] = Array.from({ length: leases }, () => []);
  for (const change of changes) byLease[Number(change.pk) % leases]!.push(change);
  return byLease;
}

export function slices<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
