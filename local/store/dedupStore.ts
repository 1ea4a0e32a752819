import type { Clock, CreateOutcome, DedupRecord, DedupStore } from '../../shared/ports';
import { systemClock } from '../../shared/ports';
import { freeText, freeTextOf } from './codec';
import type { LocalDatabase } from './database';

export interface SqliteDedupOptions {
  /** How long an id is remembered, from when it was first stored (like Cosmos DB TTL on `_ts`). */
  readonly ttlSeconds: number;
  readonly clock?: Clock;
}

/**
 * The create-only insert of a detection: a new record (and with it a change at the next lsn) unless a
 * live record of the id exists. Exported for the driver benchmark.
 */
export const CREATE_RECORD_SQL =
  'INSERT INTO dedup (pk, id, location_oid, location, camera_oid, item_name, timestamp_ms, stored_at, stored_ms) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pk, id) WHERE superseded = 0 DO NOTHING';

interface LiveRow {
  lsn: number;
  location_oid: string;
  item_name: unknown;
  stored_ms: number;
}

/**
 * The dedup store on SQLite: create-only per (pk, id), with TTL measured from the first store. The
 * table is also the change feed (schema.ts, version 4): a created record's lsn is its `_lsn`, so the
 * tally stage sees exactly the records that were created, in order.
 */
export class SqliteDedupStore implements DedupStore {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  /** The highest lsn committed; read by the tally pump to know when to wake. */
  private committedHead: number;

  constructor(
    private readonly database: LocalDatabase,
    options: SqliteDedupOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlSeconds * 1000;
    const row = database.db.get("SELECT seq FROM sqlite_sequence WHERE name = 'dedup'") as { seq: number } | null;
    this.committedHead = row?.seq ?? 0;
  }

  createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]> {
    if (records.length === 0) return Promise.resolve([]);
    return this.database.write(() => {
      const nowMs = this.clock.now();
      const create = this.database.statement(CREATE_RECORD_SQL);
      let head = 0;
      const outcomes = records.map((record): CreateOutcome => {
        const itemName = freeText(record.itemName);
        // Columns rather than a JSON document: fewer bytes to encode, bind and write per event, and no
        // JSON.parse per change when the tally pump reads them back.
        const values = [
          record.pk,
          record.id,
          record.locationOid,
          record.location === null ? null : freeText(record.location),
          record.cameraOid,
          itemName,
          record.timestampMs,
          record.storedAt,
          nowMs,
        ];
        let created = create.run(values);
        if (created.changes !== 1) {
          const live = this.database.first<LiveRow>(
            'SELECT lsn, location_oid, item_name, stored_ms FROM dedup WHERE pk = ? AND id = ? AND superseded = 0',
            [record.pk, record.id],
          );
          if (live && nowMs - live.stored_ms < this.ttlMs) {
            return { status: 'duplicate', existing: { locationOid: live.location_oid, itemName: freeTextOf(live.item_name) } };
          }
          // Past the horizon the old copy counts as absent, as an expired Cosmos DB item would; its
          // record stays in the feed (superseded) until the tally stage has read it.
          if (live) this.database.statement('UPDATE dedup SET superseded = 1 WHERE lsn = ?').run([live.lsn]);
          created = create.run(values);
        }
        head = Number(created.lastInsertRowid);
        return { status: 'created' };
      });
      if (head > 0) this.afterCommit(() => (this.committedHead = Math.max(this.committedHead, head)));
      return outcomes;
    });
  }

  /** The highest change sequence that is committed. */
  head(): number {
    return this.committedHead;
  }

  /**
   * Forgets up to `limit` records that are both expired and tallied (at or below `talliedThrough`, the
   * tally stage's checkpoint), oldest first; returns how many. A record the tally stage has not read
   * yet is kept however old it is: its change must still be counted.
   */
  purgeExpired(talliedThrough: number, limit = 10_000): Promise<number> {
    return this.database.write(() => {
      const cutoff = this.clock.now() - this.ttlMs;
      return this.database
        .statement('DELETE FROM dedup WHERE lsn IN (SELECT lsn FROM dedup WHERE stored_ms <= ? AND lsn <= ? ORDER BY stored_ms LIMIT ?)')
        .run([cutoff, talliedThrough, limit]).changes;
    });
  }

  private afterCommit(callback: () => void): void {
    const unit = this.database.currentUnit();
    if (!unit) throw new Error('dedup writes run inside a unit or a queued write');
    unit.afterCommit.push(callback);
  }
}
