import type { Clock, CreateOutcome, DedupRecord, DedupStore } from '../../shared/ports';
import { systemClock } from '../../shared/ports';
import type { ChangeDocument } from './changeLog';
import type { LocalDatabase } from './database';

export interface SqliteDedupOptions {
  /** How long an id is remembered, from when it was first stored (like Cosmos DB TTL on `_ts`). */
  readonly ttlSeconds: number;
  readonly clock?: Clock;
}

interface ExistingRow {
  facts: string;
  stored_ms: number;
}

type Facts = Pick<DedupRecord, 'locationOid' | 'itemName'>;

/**
 * The dedup store on SQLite: create-only per (pk, id), with TTL measured from the first store. A
 * created record is appended to the change log in the same transaction, with the log's growing
 * sequence as its `_lsn`, so the aggregator sees exactly the records that were created.
 */
export class SqliteDedupStore implements DedupStore {
  private readonly clock: Clock;
  private readonly ttlMs: number;
  /** The highest change sequence committed; read by the change pump to know when to wake. */
  private committedHead: number;

  constructor(
    private readonly database: LocalDatabase,
    options: SqliteDedupOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlSeconds * 1000;
    const row = database.db.get("SELECT seq FROM sqlite_sequence WHERE name = 'changes'") as { seq: number } | null;
    this.committedHead = row?.seq ?? 0;
  }

  createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]> {
    if (records.length === 0) return Promise.resolve([]);
    return this.database.write(() => {
      const nowMs = this.clock.now();
      const insert = this.database.statement(
        'INSERT INTO dedup (pk, id, facts, stored_ms) VALUES (?, ?, ?, ?) ON CONFLICT (pk, id) DO NOTHING',
      );
      const revive = this.database.statement('UPDATE dedup SET facts = ?, stored_ms = ? WHERE pk = ? AND id = ?');
      const append = this.database.statement('INSERT INTO changes (doc) VALUES (?)');
      let head = 0;
      const outcomes = records.map((record): CreateOutcome => {
        const facts = JSON.stringify({ locationOid: record.locationOid, itemName: record.itemName } satisfies Facts);
        if (insert.run([record.pk, record.id, facts, nowMs]).changes !== 1) {
          const existing = this.database.first<ExistingRow>('SELECT facts, stored_ms FROM dedup WHERE pk = ? AND id = ?', [
            record.pk,
            record.id,
          ]);
          if (existing && nowMs - existing.stored_ms < this.ttlMs) {
            const stored = JSON.parse(existing.facts) as Facts;
            return { status: 'duplicate', existing: { locationOid: stored.locationOid, itemName: stored.itemName } };
          }
          // Past the horizon the old copy counts as absent, as an expired Cosmos DB item would.
          revive.run([facts, nowMs, record.pk, record.id]);
        }
        const document: Omit<ChangeDocument, '_lsn'> = {
          id: record.id,
          pk: record.pk,
          locationOid: record.locationOid,
          location: record.location,
          cameraOid: record.cameraOid,
          itemName: record.itemName,
          timestampMs: record.timestampMs,
          storedAt: record.storedAt,
        };
        const { lastInsertRowid } = append.run([JSON.stringify(document)]);
        head = Number(lastInsertRowid);
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

  /** Forgets up to `limit` expired ids; returns how many. */
  purgeExpired(limit = 10_000): Promise<number> {
    return this.database.write(() => {
      const cutoff = this.clock.now() - this.ttlMs;
      return this.database
        .statement('DELETE FROM dedup WHERE (pk, id) IN (SELECT pk, id FROM dedup WHERE stored_ms <= ? ORDER BY stored_ms LIMIT ?)')
        .run([cutoff, limit]).changes;
    });
  }

  private afterCommit(callback: () => void): void {
    const unit = this.database.currentUnit();
    if (!unit) throw new Error('dedup writes run inside a unit or a queued write');
    unit.afterCommit.push(callback);
  }
}
