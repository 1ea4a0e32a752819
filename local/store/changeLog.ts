import type { DedupRecord } from '../../shared/ports';
import { freeTextOf } from './codec';
import type { LocalDatabase } from './database';

/** A change in the shape of a Cosmos DB change-feed item of the dedup container. */
export type ChangeDocument = DedupRecord & { readonly _lsn: number };

/** Up to `limit` changes after an lsn (exported for the driver benchmark). */
export const READ_CHANGES_SQL =
  'SELECT lsn, id, pk, location_oid, location, camera_oid, item_name, timestamp_ms, stored_at FROM dedup WHERE lsn > ? ORDER BY lsn LIMIT ?';

interface ChangeRow {
  lsn: number;
  id: string;
  pk: string;
  location_oid: string;
  location: unknown;
  camera_oid: string;
  item_name: unknown;
  timestamp_ms: number;
  stored_at: string;
}

/**
 * Reads the dedup store's records in lsn order: its change feed (schema.ts, version 4). Records live
 * as long as the dedup store keeps them, which is until they are both expired and tallied.
 */
export class ChangeLog {
  constructor(private readonly database: LocalDatabase) {}

  /** Up to `limit` changes after lsn `after`, in order. */
  readAfter(after: number, limit: number): Promise<ChangeDocument[]> {
    return this.database.read(() => {
      const rows = this.database.statement(READ_CHANGES_SQL).all([after, limit]) as unknown as ChangeRow[];
      return rows.map((row): ChangeDocument => ({
        id: row.id,
        pk: row.pk,
        _lsn: row.lsn,
        locationOid: row.location_oid,
        location: row.location === null ? null : freeTextOf(row.location),
        cameraOid: row.camera_oid,
        itemName: freeTextOf(row.item_name),
        timestampMs: row.timestamp_ms,
        storedAt: row.stored_at,
      }));
    });
  }
}
