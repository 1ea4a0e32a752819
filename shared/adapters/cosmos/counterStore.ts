import type { Container, JSONObject, OperationInput, SqlParameter } from '@azure/cosmos';
import { type CounterState, type CounterWindow, rowsOfCounter } from '../../domain/counters';
import type { Int64 } from '../../domain/ids';
import type { ItemCount, TopItemRow } from '../../domain/ranking';
import { ALL_TIME, isHourKey } from '../../domain/windows';
import {
  type CounterCommit,
  type CounterStore,
  type DueFilter,
  type DueRows,
  noMeter,
  type RequestMeter,
  type RowsStore,
  type StoredCounter,
} from '../../ports';
import { runConditionalBatch } from './batch';
import { errorCharge } from './charges';
import { statusOf } from './client';

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
  /** True from a commit until the rows refresh has written this version's rows (an indexed equality query finds them). */
  rowsDue: boolean;
  /** The ranked items and location the row documents hold now, so a refresh writes only the rows that changed. */
  rowsItems: ItemCount[];
  rowsLocation: string | null;
  /** Seconds to live (hourly counters); absent on all-time counters, which the container default (-1) keeps. */
  ttl?: number;
  _etag?: string;
}

/** One flat row of the top-X table, for Power BI DirectQuery (`SELECT * FROM c WHERE c.type = 'topItem'`). */
export interface RowDocument extends TopItemRow {
  id: string;
  type: 'topItem';
  locationOid: Int64;
  updatedAt: string;
  ttl?: number;
}

export const counterId = (window: CounterWindow): string => `counter|${window}`;
export const rowId = (window: CounterWindow, rank: number): string => `row|${window}|${rank}`;

/** A transactional batch takes at most 100 operations: the counter plus its rows must fit. */
const MAX_BATCH_OPERATIONS = 100;
const MAX_CACHED_COUNTERS = 10_000;

interface Cached {
  readonly document: CounterDocument;
  readonly etag: string;
}

/**
 * Counters and their rows in the top-items container (partition key /locationOid). `aggregate` is the
 * only writer of a counter (one lease), so this instance caches each counter with its ETag: a commit
 * replaces it with `ifMatch` and no read first, and a 412 (another writer, e.g. a rows refresh on
 * another instance) drops the cached copy so that the retry reads it again. The rows of a counter
 * are written on a cadence (`write`), in one transactional batch with the counter's `rowsDue` reset.
 */
export class CosmosCounterStore implements CounterStore, RowsStore {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly container: Container,
    private readonly meter: RequestMeter = noMeter,
  ) {}

  async read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    const found = new Map<CounterWindow, StoredCounter>();
    await Promise.all(
      windows.map(async (window) => {
        const cached = this.cache.get(cacheKey(locationOid, window)) ?? (await this.readOne(locationOid, window));
        if (cached) found.set(window, { state: stateOf(cached.document), etag: cached.etag });
      }),
    );
    return found;
  }

  async commit({ state, expectedEtag, ttlSeconds, rows }: CounterCommit): Promise<boolean> {
    const { locationOid, window } = state;
    const key = cacheKey(locationOid, window);
    let previous: CounterDocument | undefined;
    if (expectedEtag !== null) {
      const known = this.cache.get(key) ?? (await this.readOne(locationOid, window));
      if (known?.etag !== expectedEtag) return this.refused(key);
      previous = known.document;
    }
    if (rows) {
      const written = previous ? writtenRows(previous) : [];
      return this.writeWithRows(state, { etag: expectedEtag, written }, rows, ttlSeconds);
    }
    const document = counterDocument(state, ttlSeconds, {
      rowsDue: true,
      rowsItems: previous?.rowsItems ?? [],
      rowsLocation: previous?.rowsLocation ?? null,
    });
    try {
      const response =
        expectedEtag === null
          ? await this.container.items.create(document)
          : await this.container
              .item(document.id, locationOid)
              .replace(document, { accessCondition: { type: 'IfMatch', condition: expectedEtag } });
      this.meter.record('counter_commit', response.requestCharge);
      if (response.etag) this.remember(key, { document, etag: response.etag });
      return true;
    } catch (error) {
      this.meter.record('counter_commit', errorCharge(error));
      const status = statusOf(error);
      if (status === 412 || status === 409 || status === 404) return this.refused(key);
      throw error;
    }
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
    const { resources, requestCharge } = await iterator.fetchAll();
    this.meter.record('counter_read', requestCharge);
    const wanted = windows ? new Set(windows) : undefined;
    return resources.filter((document) => !wanted || wanted.has(document.window)).map(stateOf);
  }

  /**
   * Counters whose rows lag. `fromCache` answers from this worker's cache (the counters it committed
   * or read) without a query; otherwise `rowsDue` (a top-level boolean) and `updatedAt` are ranges
   * the index serves, so the timer's query returns only the counters idle since `updatedBefore`.
   */
  async due(filter: DueFilter = {}): Promise<DueRows[]> {
    if (filter.fromCache) {
      return [...this.cache.values()]
        .filter(({ document }) => document.rowsDue && (filter.updatedBefore === undefined || document.updatedAt <= filter.updatedBefore))
        .map(({ document, etag }) => ({ state: stateOf(document), etag, written: writtenRows(document) }));
    }
    const parameters: SqlParameter[] = [];
    let query = "SELECT * FROM c WHERE c.type = 'counter' AND c.rowsDue = true";
    if (filter.updatedBefore !== undefined) {
      query += ' AND c.updatedAt <= @updatedBefore';
      parameters.push({ name: '@updatedBefore', value: filter.updatedBefore });
    }
    const response = await this.container.items.query<CounterDocument>({ query, parameters }).fetchAll();
    this.meter.record('counter_read', response.requestCharge);
    return response.resources.flatMap((document) => {
      if (!document._etag) return [];
      this.remember(cacheKey(document.locationOid, document.window), { document, etag: document._etag });
      return [{ state: stateOf(document), etag: document._etag, written: writtenRows(document) }];
    });
  }

  write(due: DueRows, rows: readonly TopItemRow[], ttlSeconds: number | undefined): Promise<boolean> {
    return this.writeWithRows(due.state, due, rows, ttlSeconds);
  }

  /**
   * One transactional batch: the counter (created, or replaced if it still has `base.etag`) with its
   * rows marked written, upserts of the rows that differ from `base.written`, and deletes of ranks
   * that fell off. Recorded as a rows write whether it also carries a commit or not.
   */
  private async writeWithRows(
    state: CounterState,
    base: { readonly etag: string | null; readonly written: readonly TopItemRow[] },
    rows: readonly TopItemRow[],
    ttlSeconds: number | undefined,
  ): Promise<boolean> {
    const { locationOid, window } = state;
    const counter = counterDocument(state, ttlSeconds, {
      rowsDue: false,
      rowsItems: state.items.slice(0, rows.length).map((item) => ({ name: item.name, count: item.count })),
      rowsLocation: state.location,
    });
    const operations: OperationInput[] = [
      base.etag === null
        ? { operationType: 'Create', partitionKey: locationOid, resourceBody: asJson(counter) }
        : { operationType: 'Replace', partitionKey: locationOid, id: counter.id, ifMatch: base.etag, resourceBody: asJson(counter) },
      ...rowOperations(state, base.written, rows, ttlSeconds),
    ];
    if (operations.length > MAX_BATCH_OPERATIONS) {
      throw new Error(
        `counter ${locationOid}/${window}: ${operations.length} operations exceed a transactional batch; lower MATERIALIZED_TOP below ${MAX_BATCH_OPERATIONS}`,
      );
    }
    const key = cacheKey(locationOid, window);
    const outcome = await runConditionalBatch(this.container, operations, locationOid, `rows ${locationOid}/${window}`, {
      meter: this.meter,
      operation: 'rows_write',
    });
    if (!outcome.committed) {
      // Another commit of this worker may have cached a newer version meanwhile: keep that one.
      if (base.etag === null || this.cache.get(key)?.etag === base.etag) this.cache.delete(key);
      return false;
    }
    if (outcome.eTag) this.remember(key, { document: counter, etag: outcome.eTag });
    else this.cache.delete(key);
    return true;
  }

  private async readOne(locationOid: Int64, window: CounterWindow): Promise<Cached | undefined> {
    const response = await this.container.item(counterId(window), locationOid).read<CounterDocument>();
    this.meter.record('counter_read', response.requestCharge);
    const document = response.resource;
    if (!document?._etag) return undefined;
    const cached = { document, etag: document._etag };
    this.remember(cacheKey(locationOid, window), cached);
    return cached;
  }

  private refused(key: string): false {
    this.cache.delete(key);
    return false;
  }

  /** Most recently used last, so the first key is the one to evict. */
  private remember(key: string, cached: Cached): void {
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED_COUNTERS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, cached);
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

function cacheKey(locationOid: Int64, window: CounterWindow): string {
  return `${locationOid}|${window}`;
}

function counterDocument(
  state: CounterState,
  ttlSeconds: number | undefined,
  rows: Pick<CounterDocument, 'rowsDue' | 'rowsItems' | 'rowsLocation'>,
): CounterDocument {
  const document: CounterDocument = { id: counterId(state.window), type: 'counter', ...stateFields(state), ...rows };
  if (ttlSeconds !== undefined) document.ttl = ttlSeconds;
  return document;
}

/** The rows the row documents hold now, rebuilt from the copy kept on the counter. */
function writtenRows(document: CounterDocument): TopItemRow[] {
  const items = document.rowsItems ?? [];
  return rowsOfCounter({ ...stateOf(document), location: document.rowsLocation ?? null, items }, items.length);
}

function rowOperations(
  state: CounterState,
  written: readonly TopItemRow[],
  rows: readonly TopItemRow[],
  ttlSeconds: number | undefined,
): OperationInput[] {
  const { locationOid, window } = state;
  const operations: OperationInput[] = [];
  rows.forEach((row, index) => {
    if (sameRow(written[index], row)) return;
    const document: RowDocument = { id: rowId(window, row.item_rank), type: 'topItem', locationOid, ...row, updatedAt: state.updatedAt };
    if (ttlSeconds !== undefined) document.ttl = ttlSeconds;
    operations.push({ operationType: 'Upsert', partitionKey: locationOid, resourceBody: asJson(document) });
  });
  for (let rank = rows.length + 1; rank <= written.length; rank += 1) {
    operations.push({ operationType: 'Delete', partitionKey: locationOid, id: rowId(window, rank) });
  }
  return operations;
}

function stateFields(state: CounterState): Omit<CounterDocument, 'id' | 'type' | 'rowsDue' | 'rowsItems' | 'rowsLocation' | '_etag'> {
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
