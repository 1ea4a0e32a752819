import type { CounterState, CounterWindow } from '../../shared/domain/counters';
import { compareInt64, type Int64 } from '../../shared/domain/ids';
import type { TopItemRow } from '../../shared/domain/ranking';
import type { CounterCommit, CounterStore, StoredCounter } from '../../shared/ports';
import type { LocalDatabase } from './database';

interface CounterRow {
  state: string;
  version: number;
}

/**
 * Per-(location, window) counters on SQLite. The version number is the etag: a commit applies only
 * if the counter still has the version it was computed from, and replaces the counter's flat top
 * rows in the same transaction.
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
        if (row) found.set(window, { state: JSON.parse(row.state) as CounterState, etag: String(row.version) });
      }
      return found;
    });
  }

  commit(commit: CounterCommit): Promise<boolean> {
    const { state } = commit;
    const serialized = JSON.stringify(state);
    return this.database.write(() => {
      let applied: boolean;
      if (commit.expectedEtag === null) {
        applied =
          this.database
            .statement('INSERT INTO counters (location_oid, time_window, state, version) VALUES (?, ?, ?, 1) ON CONFLICT DO NOTHING')
            .run([state.locationOid, state.window, serialized]).changes === 1;
      } else {
        const expected = Number(commit.expectedEtag);
        applied =
          Number.isSafeInteger(expected) &&
          this.database
            .statement('UPDATE counters SET state = ?, version = version + 1 WHERE location_oid = ? AND time_window = ? AND version = ?')
            .run([serialized, state.locationOid, state.window, expected]).changes === 1;
      }
      if (!applied) return false;
      this.database.statement('DELETE FROM top_rows WHERE location_oid = ? AND time_window = ?').run([state.locationOid, state.window]);
      const insert = this.database.statement('INSERT INTO top_rows (location_oid, time_window, item_rank, row) VALUES (?, ?, ?, ?)');
      for (const row of commit.rows) insert.run([state.locationOid, state.window, row.item_rank, JSON.stringify(row)]);
      return true;
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
            .all([filter.locationOid, windows])) as unknown as { state: string }[];
      return rows
        .map((row) => JSON.parse(row.state) as CounterState)
        .sort((a, b) => compareInt64(a.locationOid, b.locationOid) || (a.window < b.window ? -1 : a.window > b.window ? 1 : 0));
    });
  }

  /** The flat top rows (what Power BI reads in Azure), of one location or all, by window then rank. */
  rows(locationOid?: Int64): Promise<TopItemRow[]> {
    return this.database.read(() => {
      const rows = this.database
        .statement('SELECT row FROM top_rows WHERE (?1 IS NULL OR location_oid = ?1) ORDER BY location_oid, time_window, item_rank')
        .all([locationOid ?? null]) as unknown as { row: string }[];
      return rows.map((row) => JSON.parse(row.row) as TopItemRow);
    });
  }
}
