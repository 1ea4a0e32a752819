import type { Int64 } from './ids';
import { compareRanked, type ItemCount, type TopItemRow } from './ranking';
import type { Tally } from './tallies';
import { ALL_TIME, hourStartMs } from './windows';

/** The window a counter covers: 'all' (all-time), or one UTC hour of event time (an HourKey). */
export type CounterWindow = string;

/**
 * Item counts of one location within one window, plus, per dedup partition, the last change sequence
 * of the latest tally folded in. A redelivered tally starts at or below its partition's watermark and
 * is skipped, so folding the same tallies twice, or racing with another writer, counts each once.
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

/**
 * What one tally adds to one counter: its partition's sequence range, and the items it counts in
 * that counter's window.
 */
export interface Contribution {
  readonly partition: string;
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly location: string | null;
  readonly items: ReadonlyMap<string, number>;
}

/** Splits tallies into contributions per location, then per window (all-time and each hour they count in). */
export function contributionsByCounter(tallies: readonly Tally[]): Map<Int64, Map<CounterWindow, Contribution[]>> {
  const byLocation = new Map<Int64, Map<CounterWindow, Contribution[]>>();
  for (const tally of tallies) {
    for (const { locationOid, location, counts } of tally.locations) {
      let windows = byLocation.get(locationOid);
      if (!windows) byLocation.set(locationOid, (windows = new Map<CounterWindow, Contribution[]>()));
      const perWindow = new Map<CounterWindow, Map<string, number>>();
      for (const [hour, itemName, count] of counts) {
        for (const window of [ALL_TIME, hour]) {
          let items = perWindow.get(window);
          if (!items) perWindow.set(window, (items = new Map<string, number>()));
          items.set(itemName, (items.get(itemName) ?? 0) + count);
        }
      }
      for (const [window, items] of perWindow) {
        const contribution = {
          partition: tally.partition,
          firstSequence: tally.firstSequence,
          lastSequence: tally.lastSequence,
          location,
          items,
        };
        const list = windows.get(window);
        if (list) list.push(contribution);
        else windows.set(window, [contribution]);
      }
    }
  }
  return byLocation;
}

export function emptyCounter(locationOid: Int64, window: CounterWindow): CounterState {
  return { locationOid, location: null, window, items: [], total: 0, watermarks: {}, updatedAt: new Date(0).toISOString() };
}

/**
 * Folds contributions into a counter, in sequence order per partition, skipping each one that starts
 * at or below its partition's watermark. The tallies of a partition never overlap, so a contribution
 * is either wholly folded already or wholly new. `applied` and `skipped` count detections.
 */
export function foldContributions(current: CounterState, contributions: readonly Contribution[], nowMs: number): FoldResult {
  const ordered = [...contributions].sort((a, b) =>
    a.partition === b.partition ? a.firstSequence - b.firstSequence : a.partition < b.partition ? -1 : 1,
  );
  const watermarks: Record<string, number> = { ...current.watermarks };
  const counts = new Map<string, number>(current.items.map((item) => [item.name, item.count]));
  let location = current.location;
  let applied = 0;
  let skipped = 0;
  for (const contribution of ordered) {
    let detections = 0;
    for (const count of contribution.items.values()) detections += count;
    const mark = watermarks[contribution.partition];
    if (mark !== undefined && contribution.firstSequence <= mark) {
      skipped += detections;
      continue;
    }
    watermarks[contribution.partition] = contribution.lastSequence;
    for (const [name, count] of contribution.items) counts.set(name, (counts.get(name) ?? 0) + count);
    if (contribution.location !== null) location = contribution.location;
    applied += detections;
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
