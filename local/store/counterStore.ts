import type { CounterState, CounterWindow } from '../../shared/domain/counters';
import { compareInt64, type Int64 } from '../../shared/domain/ids';
import type { TopItemRow } from '../../shared/domain/ranking';
import {
  type CounterCommit,
  type CounterStore,
  type DueFilter,
  type DueRows,
  noMeter,
  type RequestMeter,
  type RowsStore,
  type StoredCounter,
} from '../../shared/ports';
import { jsonBlob, parseJsonColumn } from './codec';
import type { LocalDatabase } from './database';

interface CounterRow {
  state: unknown;
  version: number;
}

/**
 * Per-(location, window) counters on SQLite. The version number is the etag: a commit applies only
 * if the counter still has the version it was computed from, and sets `rows_due` (or writes the rows
 * with it, when the commit carries them). The flat top rows
 * (what Power BI reads in Azure) are written on a cadence as one JSON column, `rows`, conditional on
 * the version they were computed from; they leave the version alone, so a rows write never makes
 * the aggregator's next commit lose. Counts requests as the Cosmos DB adapter would make them.
 */
export class SqliteCounterStore implements CounterStore, RowsStore {
  constructor(
    private readonly database: LocalDatabase,
    private readonly meter: RequestMeter = noMeter,
  ) {}

  read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    return this.database.read(() => {
      const found = new Map<CounterWindow, StoredCounter>();
      for (const window of windows) {
        this.meter.record('counter_read', 0);
        const row = this.database.first<CounterRow>('SELECT state, version FROM counters WHERE location_oid = ? AND time_window = ?', [
          locationOid,
          window,
        ]);
        if (row) found.set(window, { state: parseJsonColumn<CounterState>(row.state), etag: String(row.version) });
      }
      return found;
    });
  }

  commit(commit: CounterCommit): Promise<boolean> {
    const { state, rows } = commit;
    const serialized = jsonBlob(state);
    this.meter.record(rows ? 'rows_write' : 'counter_commit', 0);
    const rowsColumns = rows ? [jsonBlob(rows), rows.length, 0] : undefined;
    return this.database.write(() => {
      if (commit.expectedEtag === null) {
        return (
          this.database
            .statement(
              'INSERT INTO counters (location_oid, time_window, state, rows, row_count, rows_due, version) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING',
            )
            .run([state.locationOid, state.window, serialized, ...(rowsColumns ?? ['[]', 0, 1])]).changes === 1
        );
      }
      const expected = Number(commit.expectedEtag);
      const setRows = rowsColumns ? 'rows = ?, row_count = ?, rows_due = ?' : 'rows_due = 1';
      return (
        Number.isSafeInteger(expected) &&
        this.database
          .statement(
            `UPDATE counters SET state = ?, ${setRows}, version = version + 1 WHERE location_oid = ? AND time_window = ? AND version = ?`,
          )
          .run([serialized, ...(rowsColumns ?? []), state.locationOid, state.window, expected]).changes === 1
      );
    });
  }

  /** Every due counter (a local query costs nothing, so `fromCache` changes nothing here). */
  due(filter: DueFilter = {}): Promise<DueRows[]> {
    // Counted as the Cosmos DB adapter would send it: an answer from its cache is no request.
    if (!filter.fromCache) this.meter.record('counter_read', 0);
    return this.database.read(() => {
      const due = this.database.statement('SELECT state, version, rows FROM counters WHERE rows_due = 1').all() as unknown as {
        state: unknown;
        version: number;
        rows: unknown;
      }[];
      return due
        .map((row) => ({
          state: parseJsonColumn<CounterState>(row.state),
          etag: String(row.version),
          written: row.rows === null ? [] : parseJsonColumn<TopItemRow[]>(row.rows),
        }))
        .filter(({ state }) => filter.updatedBefore === undefined || state.updatedAt <= filter.updatedBefore);
    });
  }

  write(due: DueRows, rows: readonly TopItemRow[]): Promise<boolean> {
    this.meter.record('rows_write', 0);
    const serialized = jsonBlob(rows);
    return this.database.write(
      () =>
        this.database
          .statement('UPDATE counters SET rows = ?, row_count = ?, rows_due = 0 WHERE location_oid = ? AND time_window = ? AND version = ?')
          .run([serialized, rows.length, due.state.locationOid, due.state.window, Number(due.etag)]).changes === 1,
    );
  }

  /** No TTL here: hour keys sort as text and 'all' after every digit, so one range delete drops the expired hours. */
  purgeBefore(oldestHour: string): Promise<number> {
    return this.database.write(
      () => this.database.statement("DELETE FROM counters WHERE time_window < ? AND time_window <> 'all'").run([oldestHour]).changes,
    );
  }

  list(filter: { locationOid?: Int64; windows?: readonly CounterWindow[] }): Promise<CounterState[]> {
    return this.database.read(() => {
      const windows = filter.windows === undefined ? null : JSON.stringify(filter.windows);
      const rows = (filter.locationOid === undefined
        ? this.database
            .statement('SELECT state FROM counters WHERE (?1 IS NULL OR time_window IN (SELECT value FROM json_each(?1)))')
            .all([windows])
        : this.database
            .statement(
              'SELECT state FROM counters WHERE location_oid = ?1 AND (?2 IS NULL OR time_window IN (SELECT value FROM json_each(?2)))',
            )
            .all([filter.locationOid, windows])) as unknown as { state: unknown }[];
      return rows
        .map((row) => parseJsonColumn<CounterState>(row.state))
        .sort((a, b) => compareInt64(a.locationOid, b.locationOid) || (a.window < b.window ? -1 : a.window > b.window ? 1 : 0));
    });
  }

  /** The flat top rows as last written (what Power BI reads in Azure), of one location or all, by window then rank. */
  rows(locationOid?: Int64): Promise<TopItemRow[]> {
    return this.database.read(() => {
      const counters = this.database
        .statement('SELECT rows FROM counters WHERE (?1 IS NULL OR location_oid = ?1) ORDER BY location_oid, time_window')
        .all([locationOid ?? null]) as unknown as { rows: unknown }[];
      return counters.flatMap((counter) => (counter.rows === null ? [] : parseJsonColumn<TopItemRow[]>(counter.rows)));
    });
  }
}
