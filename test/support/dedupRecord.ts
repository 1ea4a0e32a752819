import { dedupPartitionOf } from '../../shared/domain/partitioning';
import type { DedupRecord } from '../../shared/ports';

/** A stored detection of a car at Market Square, hour 2026-11-22T10, with whatever a test overrides. */
export function dedupRecord(id: string, overrides: Partial<DedupRecord> = {}): DedupRecord {
  return {
    id,
    pk: dedupPartitionOf(id, 64),
    locationOid: '1',
    location: 'Market Square',
    cameraOid: '7',
    itemName: 'car',
    timestampMs: Date.UTC(2026, 10, 22, 10, 5),
    storedAt: '2026-11-22T10:06:00.000Z',
    ...overrides,
  };
}
