import { type CounterState, mergeItems, rowsOfCounter } from '../domain/counters';
import { compareInt64, type Int64 } from '../domain/ids';
import type { TopItemRow } from '../domain/ranking';
import { oldestRetainedHour } from '../domain/retention';
import { ALL_TIME, bucketsOf, windowBounds, windowLabel, type WindowQuery } from '../domain/windows';
import type { Clock, CounterStore } from '../ports';

export interface TopItemsQuery {
  readonly locationOid?: Int64;
  readonly top: number;
  readonly window: WindowQuery;
}

export interface TopItemsDeps {
  readonly counters: CounterStore;
  readonly clock: Clock;
  /** Hours that ended longer ago than this many days are not served (their counters expire). */
  readonly config?: { readonly hourlyRetentionDays: number };
}

/** The top-X table for one location or all, over all-time, one hour, or the last N hours. */
export async function queryTopItems(query: TopItemsQuery, deps: TopItemsDeps): Promise<TopItemRow[]> {
  const nowMs = deps.clock.now();
  const buckets = bucketsOf(query.window, nowMs);
  const filter = query.locationOid === undefined ? {} : { locationOid: query.locationOid };
  const oldest = deps.config ? oldestRetainedHour(nowMs, { hourlyDays: deps.config.hourlyRetentionDays }) : '';
  const windows = buckets.kind === 'all' ? [ALL_TIME] : buckets.hours.filter((hour) => hour >= oldest);
  if (windows.length === 0) return [];
  const states = await deps.counters.list({ ...filter, windows });
  const byLocation = new Map<Int64, CounterState[]>();
  for (const state of states) {
    const list = byLocation.get(state.locationOid);
    if (list) list.push(state);
    else byLocation.set(state.locationOid, [state]);
  }
  const label = windowLabel(query.window);
  const bounds = windowBounds(query.window, nowMs);
  const rows: TopItemRow[] = [];
  for (const locationOid of [...byLocation.keys()].sort(compareInt64)) {
    const locationStates = byLocation.get(locationOid) as CounterState[];
    if (locationStates.length === 1 && query.window.kind !== 'last') {
      rows.push(...rowsOfCounter(locationStates[0] as CounterState, query.top));
      continue;
    }
    const location = locationStates.find((state) => state.location !== null)?.location ?? null;
    mergeItems(locationStates)
      .slice(0, query.top)
      .forEach((item, index) =>
        rows.push({
          geographical_location_oid: locationOid,
          geographical_location: location,
          item_rank: index + 1,
          item_name: item.name,
          item_count: item.count,
          window: label,
          window_start: bounds.start,
          window_end: bounds.end,
        }),
      );
  }
  return rows;
}
