import type { Container, JSONObject, OperationInput, SqlParameter } from '@azure/cosmos';
import { type CounterState, type CounterWindow, rowsOfCounter } from '../../domain/counters';
import type { Int64 } from '../../domain/ids';
import type { ItemCount, TopItemRow } from '../../domain/ranking';
import { ALL_TIME, isHourKey } from '../../domain/windows';
import type { CounterCommit, CounterStore, StoredCounter } from '../../ports';
import { runConditionalBatch } from './batch';

/** One counter: a location's item counts in one window, with the watermarks that make folding exact. */
export interface CounterDocument {
  id: string;
  type: 'counter';
  locationOid: Int64;
  location: string | null;
  window: CounterWindow;
  items: ItemCount[];
  total: number;
  watermarks: Record<string, number>;
  updatedAt: string;
  /** How many row documents exist for this counter, so rows that fall off can be deleted. */
  rowCount: number;
  _etag?: string;
}

/** One flat row of the top-X table, for Power BI DirectQuery (`SELECT * FROM c WHERE c.type = 'topItem'`). */
export interface RowDocument extends TopItemRow {
  id: string;
  type: 'topItem';
  locationOid: Int64;
  updatedAt: string;
}

export const counterId = (window: CounterWindow): string => `counter|${window}`;
export const rowId = (window: CounterWindow, rank: number): string => `row|${window}|${rank}`;

/** A transactional batch takes at most 100 operations: the counter plus its rows must fit. */
const MAX_BATCH_OPERATIONS = 100;
const MAX_REMEMBERED_VERSIONS = 10_000;

interface KnownVersion {
  readonly state: CounterState;
  readonly rowCount: number;
}

/**
 * Counters and their rows in the top-items container (partition key /locationOid), so one location's
 * counter and rows share a logical partition and commit together in a transactional batch: the
 * counter replaced only if its etag still matches, changed rows upserted, surplus rows deleted.
 */
export class CosmosCounterStore implements CounterStore {
  /** Versions this instance has read or written, by etag: they tell which rows a commit must change. */
  private readonly known = new Map<string, KnownVersion>();

  constructor(private readonly container: Container) {}

  async read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    const found = new Map<CounterWindow, StoredCounter>();
    await Promise.all(
      windows.map(async (window) => {
        const { resource } = await this.container.item(counterId(window), locationOid).read<CounterDocument>();
        if (!resource?._etag) return;
        const state = stateOf(resource);
        this.remember(locationOid, window, resource._etag, { state, rowCount: resource.rowCount ?? 0 });
        found.set(window, { state, etag: resource._etag });
      }),
    );
    return found;
  }

  async commit({ state, expectedEtag, rows }: CounterCommit): Promise<boolean> {
    const { locationOid, window } = state;
    let previous: KnownVersion = { state, rowCount: 0 };
    if (expectedEtag !== null) {
      const known =
        this.known.get(versionKey(locationOid, window, expectedEtag)) ?? (await this.readVersion(locationOid, window, expectedEtag));
      if (!known) return false;
      previous = known;
    }

    const updatedAt = state.updatedAt;
    const counter: CounterDocument = { id: counterId(window), type: 'counter', ...stateFields(state), rowCount: rows.length };
    const operations: OperationInput[] = [
      expectedEtag === null
        ? { operationType: 'Create', partitionKey: locationOid, resourceBody: asJson(counter) }
        : { operationType: 'Replace', partitionKey: locationOid, id: counter.id, ifMatch: expectedEtag, resourceBody: asJson(counter) },
    ];
    const previousRows = expectedEtag === null ? [] : rowsOfCounter(previous.state, previous.rowCount);
    rows.forEach((row, index) => {
      if (index < previous.rowCount && sameRow(previousRows[index], row)) return;
      const document: RowDocument = { id: rowId(window, row.item_rank), type: 'topItem', locationOid, ...row, updatedAt };
      operations.push({ operationType: 'Upsert', partitionKey: locationOid, resourceBody: asJson(document) });
    });
    for (let rank = rows.length + 1; rank <= previous.rowCount; rank += 1) {
      operations.push({ operationType: 'Delete', partitionKey: locationOid, id: rowId(window, rank) });
    }
    if (operations.length > MAX_BATCH_OPERATIONS) {
      throw new Error(
        `counter ${locationOid}/${window}: ${operations.length} operations exceed a transactional batch; lower MATERIALIZED_TOP below ${MAX_BATCH_OPERATIONS}`,
      );
    }

    const outcome = await runConditionalBatch(this.container, operations, locationOid, `counter ${locationOid}/${window}`);
    if (outcome.committed && outcome.eTag) this.remember(locationOid, window, outcome.eTag, { state, rowCount: rows.length });
    return outcome.committed;
  }

  async list(filter: { locationOid?: Int64; windows?: readonly CounterWindow[] }): Promise<CounterState[]> {
    const conditions = ["c.type = 'counter'"];
    const parameters: SqlParameter[] = [];
    if (filter.locationOid !== undefined) {
      conditions.push('c.locationOid = @location');
      parameters.push({ name: '@location', value: filter.locationOid });
    }
    const windows = filter.windows;
    if (windows) {
      if (windows.length === 0) return [];
      conditions.push(windowCondition(windows, parameters));
    }
    const query = { query: `SELECT * FROM c WHERE ${conditions.join(' AND ')}`, parameters };
    const iterator = this.container.items.query<CounterDocument>(
      query,
      filter.locationOid === undefined ? {} : { partitionKey: filter.locationOid },
    );
    const { resources } = await iterator.fetchAll();
    const wanted = windows ? new Set(windows) : undefined;
    return resources.filter((document) => !wanted || wanted.has(document.window)).map(stateOf);
  }

  private async readVersion(locationOid: Int64, window: CounterWindow, etag: string): Promise<KnownVersion | undefined> {
    const { resource } = await this.container.item(counterId(window), locationOid).read<CounterDocument>();
    if (!resource || resource._etag !== etag) return undefined;
    const version = { state: stateOf(resource), rowCount: resource.rowCount ?? 0 };
    this.remember(locationOid, window, etag, version);
    return version;
  }

  private remember(locationOid: Int64, window: CounterWindow, etag: string, version: KnownVersion): void {
    if (this.known.size >= MAX_REMEMBERED_VERSIONS) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
    this.known.set(versionKey(locationOid, window, etag), version);
  }
}

/**
 * Hour keys sort as text ("2026-11-22T10"), so a run of hours is a range query that uses the index;
 * 'all' sorts after every digit and falls outside any hour range.
 */
function windowCondition(windows: readonly CounterWindow[], parameters: SqlParameter[]): string {
  if (windows.length === 1) {
    parameters.push({ name: '@window', value: windows[0] as string });
    return 'c.window = @window';
  }
  const hours = windows.filter((window) => window !== ALL_TIME && isHourKey(window)).sort();
  if (hours.length === windows.length) {
    parameters.push({ name: '@from', value: hours[0] as string }, { name: '@to', value: hours[hours.length - 1] as string });
    return 'c.window >= @from AND c.window <= @to';
  }
  parameters.push({ name: '@windows', value: [...windows] });
  return 'ARRAY_CONTAINS(@windows, c.window)';
}

function versionKey(locationOid: Int64, window: CounterWindow, etag: string): string {
  return `${locationOid}|${window}|${etag}`;
}

function stateFields(state: CounterState): Omit<CounterDocument, 'id' | 'type' | 'rowCount' | '_etag'> {
  return {
    locationOid: state.locationOid,
    location: state.location,
    window: state.window,
    items: state.items.map((item) => ({ name: item.name, count: item.count })),
    total: state.total,
    watermarks: { ...state.watermarks },
    updatedAt: state.updatedAt,
  };
}

function stateOf(document: CounterDocument): CounterState {
  return {
    locationOid: document.locationOid,
    location: document.location ?? null,
    window: document.window,
    items: document.items ?? [],
    total: document.total ?? 0,
    watermarks: document.watermarks ?? {},
    updatedAt: document.updatedAt,
  };
}

function sameRow(a: TopItemRow | undefined, b: TopItemRow): boolean {
  return (
    a !== undefined &&
    a.item_rank === b.item_rank &&
    a.item_name === b.item_name &&
    a.item_count === b.item_count &&
    a.geographical_location === b.geographical_location &&
    a.geographical_location_oid === b.geographical_location_oid &&
    a.window === b.window &&
    a.window_start === b.window_start &&
    a.window_end === b.window_end
  );
}

function asJson(document: CounterDocument | RowDocument): JSONObject {
  return document as unknown as JSONObject;
}
