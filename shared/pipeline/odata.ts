import { type CounterState, type CounterWindow, rowsOfCounter } from '../domain/counters';
import { compareInt64, type Int64, parseInt64 } from '../domain/ids';
import type { LocationTable } from '../domain/locations';
import { isRetained } from '../domain/retention';
import { ALL_TIME, isHourKey } from '../domain/windows';
import { LOCATIONS_SET, type ODataRow, TOP_ITEMS_SET, topItemKey } from '../odata/model';
import {
  type ODataDataSource,
  type ODataRequest,
  type ODataResponse,
  type RowQuery,
  serveOData,
  type ServiceOptions,
} from '../odata/service';
import type { Clock, CounterStore } from '../ports';

export interface ODataFeedDeps {
  readonly counters: CounterStore;
  readonly locations: () => Promise<LocationTable>;
  /** Ranks kept per location and window: the rows the Cosmos DB adapter materializes for DirectQuery. */
  readonly materializedTop: number;
  /** With both, hours that ended longer ago than the retention are left out, as their expired rows are in Azure. */
  readonly hourlyRetentionDays?: number;
  readonly clock?: Clock;
}

/** Answers one request to the OData feed (service document, $metadata, TopItems, Locations). */
export function serveODataFeed(request: ODataRequest, deps: ODataFeedDeps, options: ServiceOptions = {}): Promise<ODataResponse> {
  return serveOData(request, feedSource(deps), options);
}

export function feedSource(deps: ODataFeedDeps): ODataDataSource {
  return {
    rows: (set, query) =>
      set.name === TOP_ITEMS_SET ? topItemRows(query, deps) : set.name === LOCATIONS_SET ? locationRows(query, deps) : Promise.resolve([]),
  };
}

/** Reading one location at a time is cheaper than reading all only up to about this many. */
const MAX_LOCATION_READS = 32;

/**
 * TopItems: the top `materializedTop` rows of every counter, all-time and per hour, computed from
 * the counters exactly as the aggregator computes the rows it writes next to them. Reads only the
 * windows and locations the filter or key can match.
 */
async function topItemRows(query: RowQuery, deps: ODataFeedDeps): Promise<ODataRow[]> {
  const fromKeys = keyConstraints(query.values('id'));
  const windows = intersect(windowsOf(query.values('window')), fromKeys?.windows);
  const locations = intersect(locationsOf(query.values('geographical_location_oid')), fromKeys?.locations);
  if (windows?.length === 0 || locations?.length === 0) return [];

  const windowFilter = windows ? { windows } : {};
  let states: CounterState[];
  if (locations && locations.length <= MAX_LOCATION_READS) {
    states = (await Promise.all(locations.map((locationOid) => deps.counters.list({ locationOid, ...windowFilter })))).flat();
  } else {
    const wanted = locations ? new Set(locations) : undefined;
    states = (await deps.counters.list(windowFilter)).filter((state) => !wanted || wanted.has(state.locationOid));
  }
  const { hourlyRetentionDays, clock } = deps;
  if (hourlyRetentionDays !== undefined && clock) {
    const nowMs = clock.now();
    states = states.filter((state) => isRetained(state.window, nowMs, { hourlyDays: hourlyRetentionDays }));
  }
  return states.flatMap((state) =>
    rowsOfCounter(state, deps.materializedTop).map((row) => ({
      id: topItemKey(row.window, row.geographical_location_oid, row.item_rank),
      ...row,
      updated_at: state.updatedAt,
    })),
  );
}

async function locationRows(query: RowQuery, deps: ODataFeedDeps): Promise<ODataRow[]> {
  const table = await deps.locations();
  const wanted = locationsOf(query.values('geographical_location_oid'));
  const oids = wanted ? wanted.filter((oid) => table.has(oid)) : [...table.keys()].sort(compareInt64);
  return oids.map((oid) => ({ geographical_location_oid: oid, geographical_location: table.get(oid) ?? null }));
}

/** Window labels of the feed (`all`, `hour:2026-11-22T10`) as counter windows; other labels match nothing. */
function windowsOf(labels: readonly string[] | undefined): CounterWindow[] | undefined {
  if (!labels) return undefined;
  const windows = labels.flatMap((label) => {
    if (label === ALL_TIME) return [ALL_TIME];
    const hour = label.startsWith('hour:') ? label.slice(5) : '';
    return isHourKey(hour) ? [hour] : [];
  });
  return [...new Set(windows)];
}

function locationsOf(values: readonly string[] | undefined): Int64[] | undefined {
  if (!values) return undefined;
  return [
    ...new Set(
      values.flatMap((value) => {
        const parsed = parseInt64(value);
        return parsed.ok ? [parsed.value] : [];
      }),
    ),
  ];
}

/** The windows and locations named by TopItems keys (`window|oid|rank`). */
function keyConstraints(keys: readonly string[] | undefined): { windows: CounterWindow[]; locations: Int64[] } | undefined {
  if (!keys) return undefined;
  const labels: string[] = [];
  const oids: string[] = [];
  for (const key of keys) {
    const parts = key.split('|');
    if (parts.length !== 3) continue;
    labels.push(parts[0] as string);
    oids.push(parts[1] as string);
  }
  return { windows: windowsOf(labels) ?? [], locations: locationsOf(oids) ?? [] };
}

function intersect<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  if (!a) return b;
  if (!b) return a;
  const allowed = new Set(b);
  return a.filter((value) => allowed.has(value));
}
