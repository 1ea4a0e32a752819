import type { Int64 } from './ids';
import { compareRanked, type ItemCount, type TopItemRow } from './ranking';
import { ALL_TIME, hourKeyOf, hourStartMs } from './windows';

/**
 * A newly stored detection as the aggregator sees it on the dedup store's change feed. `partition`
 * is the dedup store's logical partition and `sequence` its change number there (`_lsn` in Cosmos
 * DB): sequences only grow within one partition, which is what makes the watermarks below exact.
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

/** The window a counter covers: 'all' (all-time), or one UTC hour of event time (an HourKey). */
export type CounterWindow = string;

/**
 * Item counts of one location within one window, plus, per dedup partition, the highest change
 * sequence already folded in. A redelivered change is at or below its partition's watermark and is
 * skipped, so folding the same changes twice, or an overlapping superset, counts each once.
 */
export interface CounterState {
  readonly locationOid: Int64;
  readonly location: string | null;
  readonly window: CounterWindow;
  /** Ranked: count descending, then name by code point. */
  readonly items: readonly ItemCount[];
  readonly total: number;
  readonly watermarks: Readonly<Record<string, number>>;
  readonly updatedAt: string;
}

export interface FoldResult {
  readonly state: CounterState;
  readonly applied: number;
  readonly skipped: number;
}

export function counterKey(locationOid: Int64, window: CounterWindow): string {
  return `${locationOid}|${window}`;
}

/** Groups a batch by location, then by the windows each change counts in (all-time and its hour). */
export function groupByCounter(changes: readonly CountedChange[]): Map<Int64, Map<CounterWindow, CountedChange[]>> {
  const byLocation = new Map<Int64, Map<CounterWindow, CountedChange[]>>();
  for (const change of changes) {
    let windows = byLocation.get(change.locationOid);
    if (!windows) byLocation.set(change.locationOid, (windows = new Map<CounterWindow, CountedChange[]>()));
    for (const window of [ALL_TIME, hourKeyOf(change.timestampMs)]) {
      const list = windows.get(window);
      if (list) list.push(change);
      else windows.set(window, [change]);
    }
  }
  return byLocation;
}

export function emptyCounter(locationOid: Int64, window: CounterWindow): CounterState {
  return { locationOid, location: null, window, items: [], total: 0, watermarks: {}, updatedAt: new Date(0).toISOString() };
}

/** Folds changes into a counter, skipping every change at or below its partition's watermark. */
export function foldChanges(current: CounterState, changes: readonly CountedChange[], nowMs: number): FoldResult {
  const ordered = [...changes].sort((a, b) => (a.partition === b.partition ? a.sequence - b.sequence : a.partition < b.partition ? -1 : 1));
  const watermarks: Record<string, number> = { ...current.watermarks };
  const counts = new Map<string, number>(current.items.map((item) => [item.name, item.count]));
  let location = current.location;
  let applied = 0;
  let skipped = 0;
  for (const change of ordered) {
    const mark = watermarks[change.partition];
    if (mark !== undefined && change.sequence <= mark) {
      skipped += 1;
      continue;
    }
    watermarks[change.partition] = change.sequence;
    counts.set(change.itemName, (counts.get(change.itemName) ?? 0) + 1);
    if (change.location !== null) location = change.location;
    applied += 1;
  }
  if (applied === 0) return { state: current, applied, skipped };
  const items = [...counts].map(([name, count]) => ({ name, count })).sort(compareRanked);
  return {
    state: {
      locationOid: current.locationOid,
      location,
      window: current.window,
      items,
      total: current.total + applied,
      watermarks,
      updatedAt: new Date(nowMs).toISOString(),
    },
    applied,
    skipped,
  };
}

/** Sums counters of one location over several windows (e.g. the last N hours). */
export function mergeItems(states: readonly CounterState[]): ItemCount[] {
  const counts = new Map<string, number>();
  for (const state of states) for (const item of state.items) counts.set(item.name, (counts.get(item.name) ?? 0) + item.count);
  return [...counts].map(([name, count]) => ({ name, count })).sort(compareRanked);
}

export function windowLabelOf(window: CounterWindow): string {
  return window === ALL_TIME ? ALL_TIME : `hour:${window}`;
}

/** The output rows of one counter: its top `top` items, ranked, with the window they cover. */
export function rowsOfCounter(state: CounterState, top: number): TopItemRow[] {
  const start = state.window === ALL_TIME ? null : new Date(hourStartMs(state.window)).toISOString();
  const end = state.window === ALL_TIME ? null : new Date(hourStartMs(state.window) + 3_600_000).toISOString();
  return state.items.slice(0, top).map((item, index) => ({
    geographical_location_oid: state.locationOid,
    geographical_location: state.location,
    item_rank: index + 1,
    item_name: item.name,
    item_count: item.count,
    window: windowLabelOf(state.window),
    window_start: start,
    window_end: end,
  }));
}
