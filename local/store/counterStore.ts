import { type CounterState, type CounterWindow, rowsOfCounter } from '../../shared/domain/counters';
import { compareInt64, type Int64 } from '../../shared/domain/ids';
import type { TopItemRow } from '../../shared/domain/ranking';
import type { CounterCommit, CounterStore, StoredCounter } from '../../shared/ports';
import { jsonBlob, parseJsonColumn } from './codec';
import type { LocalDatabase } from './database';

interface CounterRow {
  state: unknown;
  version: number;
}

/**
 * Per-(location, window) counters on SQLite. The version number is the etag: a commit applies only
 * if the counter still has the version it was computed from.
 *
 * The flat top rows are not stored. In Azure they are documents of their own because Power BI reads
 * the container directly; here every reader (OData, `GET /api/top-items`) works from the counters,
 * and a commit's rows are always `rowsOfCounter(state, n)` (the aggregate use-case computes them
 * so). Keeping only `n` (`row_count`) and deriving the rows on read spares each commit a delete and
 * up to `MATERIALIZED_TOP` inserts, the bulk of its work, while `rows()` answers as before.
 */
export class SqliteCounterStore implements CounterStore {
  constructor(private readonly database: LocalDatabase) {}

  read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    return this.database.read(() => {
      const found = new Map<CounterWindow, StoredCounter>();
      for (const window of windows) {
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
    const { state } = commit;
    const serialized = jsonBlob(state);
    const rowCount = commit.rows.length;
    return this.database.write(() => {
      if (commit.expectedEtag === null) {
        return (
          this.database
            .statement(
              'INSERT INTO counters (location_oid, time_window, state, row_count, version) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO NOTHING',
            )
            .run([state.locationOid, state.window, serialized, rowCount]).changes === 1
        );
      }
      const expected = Number(commit.expectedEtag);
      return (
        Number.isSafeInteger(expected) &&
        this.database
          .statement(
            'UPDATE counters SET state = ?, row_count = ?, version = version + 1 WHERE location_oid = ? AND time_window = ? AND version = ?',
          )
          .run([serialized, rowCount, state.locationOid, state.window, expected]).changes === 1
      );
    });
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

  /** The flat top rows (what Power BI reads in Azure), of one location or all, by window then rank. */
  rows(locationOid?: Int64): Promise<TopItemRow[]> {
    return this.database.read(() => {
      const counters = this.database
        .statement('SELECT state, row_count FROM counters WHERE (?1 IS NULL OR location_oid = ?1) ORDER BY location_oid, time_window')
        .all([locationOid ?? null]) as unknown as { state: unknown; row_count: number }[];
      return counters.flatMap((counter) => rowsOfCounter(parseJsonColumn<CounterState>(counter.state), counter.row_count));
    });
  }
}
