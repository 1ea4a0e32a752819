import type { Int64 } from '../../shared/domain/ids';
import type { LocalDatabase } from './database';

/** A change-log entry in the shape of a Cosmos DB change-feed item of the dedup container. */
export interface ChangeDocument {
  readonly id: Int64;
  readonly pk: string;
  readonly _lsn: number;
  readonly locationOid: Int64;
  readonly location: string | null;
  readonly cameraOid: Int64;
  readonly itemName: string;
  readonly timestampMs: number;
  readonly storedAt: string;
}

/** Reads the ordered change log that the dedup store appends to. */
export class ChangeLog {
  constructor(private readonly database: LocalDatabase) {}

  /** Up to `limit` changes after sequence `after`, in order. */
  readAfter(after: number, limit: number): Promise<ChangeDocument[]> {
    return this.database.read(() => {
      const rows = this.database
        .statement('SELECT lsn, doc FROM changes WHERE lsn > ? ORDER BY lsn LIMIT ?')
        .all([after, limit]) as unknown as {
        lsn: number;
        doc: string;
      }[];
      return rows.map((row) => ({ ...(JSON.parse(row.doc) as Omit<ChangeDocument, '_lsn'>), _lsn: row.lsn }));
    });
  }

  /** Drops changes every consumer has passed; the sequence keeps growing regardless (AUTOINCREMENT). */
  purgeThrough(sequence: number): Promise<number> {
    return this.database.write(() => this.database.statement('DELETE FROM changes WHERE lsn <= ?').run([sequence]).changes);
  }
}
