import { type Tally, tallyDocumentOf, type TallyDocument, type TallyFeedDocument } from '../../shared/domain/tallies';
import type { TallyCursor, TallyStore } from '../../shared/ports';
import { jsonBlob, parseJsonColumn } from './codec';
import type { LocalDatabase } from './database';

/**
 * The tallies between the two aggregation stages, on SQLite: per-partition cursors moved
 * conditionally with each tally, and the tallies read back in creation order (the sequence plays
 * the tallies container's change feed for `aggregate`).
 */
export class SqliteTallyStore implements TallyStore {
  private committedHead: number;
  /** Committed tallies by sequence and how many detections each holds, for the backlog. */
  private readonly pending = new Map<number, number>();

  constructor(private readonly database: LocalDatabase) {
    const row = database.db.get("SELECT seq FROM sqlite_sequence WHERE name = 'tallies'") as { seq: number } | null;
    this.committedHead = row?.seq ?? 0;
    for (const { seq, changes } of database.db.all('SELECT seq, changes FROM tallies') as { seq: number; changes: number }[]) {
      this.pending.set(seq, changes);
    }
  }

  cursor(partition: string): Promise<TallyCursor> {
    return this.database.read(() => {
      const row = this.database.first<{ last_sequence: number; version: number }>(
        'SELECT last_sequence, version FROM tally_cursors WHERE pk = ?',
        [partition],
      );
      return row ? { lastSequence: row.last_sequence, etag: String(row.version) } : { lastSequence: null, etag: null };
    });
  }

  append(tally: Tally, expectedEtag: string | null): Promise<boolean> {
    const { partition } = tally;
    return this.database.write((): boolean => {
      const moved =
        expectedEtag === null
          ? this.database
              .statement('INSERT INTO tally_cursors (pk, last_sequence, version) VALUES (?, ?, 1) ON CONFLICT DO NOTHING')
              .run([partition, tally.lastSequence]).changes
          : this.database
              .statement('UPDATE tally_cursors SET last_sequence = ?, version = version + 1 WHERE pk = ? AND version = ?')
              .run([tally.lastSequence, partition, Number(expectedEtag)]).changes;
      if (moved !== 1) return false;
      const inserted = this.database
        .statement('INSERT INTO tallies (id, changes, doc) VALUES (?, ?, ?)')
        .run([tally.id, tally.changes, jsonBlob(tallyDocumentOf(tally))]);
      const seq = Number(inserted.lastInsertRowid);
      this.afterCommit(() => {
        this.committedHead = Math.max(this.committedHead, seq);
        this.pending.set(seq, tally.changes);
      });
      return true;
    });
  }

  /** Up to `limit` tallies after sequence `after`, in order. */
  readAfter(after: number, limit: number): Promise<TallyFeedDocument[]> {
    return this.database.read(() => {
      const rows = this.database
        .statement('SELECT seq, doc FROM tallies WHERE seq > ? ORDER BY seq LIMIT ?')
        .all([after, limit]) as unknown as { seq: number; doc: unknown }[];
      return rows.map((row) => ({ ...parseJsonColumn<TallyDocument>(row.doc), _lsn: row.seq }));
    });
  }

  /** The highest tally sequence that is committed. */
  head(): number {
    return this.committedHead;
  }

  /** Detections in committed tallies after sequence `after`: tallied but not yet folded. */
  changesAfter(after: number): number {
    let sum = 0;
    for (const [seq, changes] of this.pending) {
      if (seq > after) sum += changes;
    }
    return sum;
  }

  /** Drops tallies the aggregator has folded; the sequence keeps growing regardless (AUTOINCREMENT). */
  purgeThrough(sequence: number): Promise<number> {
    return this.database.write(() => {
      const purged = this.database.statement('DELETE FROM tallies WHERE seq <= ?').run([sequence]).changes;
      this.afterCommit(() => {
        for (const seq of this.pending.keys()) if (seq <= sequence) this.pending.delete(seq);
      });
      return purged;
    });
  }

  private afterCommit(callback: () => void): void {
    const unit = this.database.currentUnit();
    if (!unit) throw new Error('tally writes run inside a unit or a queued write');
    unit.afterCommit.push(callback);
  }
}
