/**
 * Detections as the local dedup store receives them, for the store's microbenchmarks
 * (dedupMicro.ts, sqliteDrivers.ts): ids random over 64 bits or counting up, a share of them repeating
 * a recent id, as the bench's generator sends duplicates.
 */
import { randomBytes } from 'node:crypto';
import { dedupPartitionOf } from '../../../shared/domain/partitioning';
import type { DedupRecord } from '../../../shared/ports';
import { UsageError } from '../cli';

export type IdPattern = 'random' | 'sequential';

const ITEMS = ['car', 'bus', 'bicycle', 'pedestrian', 'truck', 'tram', 'motorbike', 'van', 'scooter', 'dog'];
/** Duplicates copy one of this many latest ids, as the bench's generator does. */
const DUPLICATE_MEMORY = 10_000;

/** Checks an `--ids` option. */
export function idPattern(value: string): IdPattern {
  if (value !== 'random' && value !== 'sequential') throw new UsageError(`--ids must be random or sequential, got "${value}"`);
  return value;
}

/** A source of records: each call returns the next one. */
export function dedupRecordSource(options: { ids: IdPattern; duplicateShare: number; partitions: number }): () => DedupRecord {
  let sequence = 1_000_000_000_000;
  const nextId = options.ids === 'random' ? () => randomBytes(8).readBigInt64LE().toString() : () => String((sequence += 1));
  const recent: string[] = [];
  return () => {
    let id: string;
    if (recent.length > 0 && Math.random() < options.duplicateShare) {
      id = recent[Math.floor(Math.random() * recent.length)] as string;
    } else {
      id = nextId();
      if (recent.length < DUPLICATE_MEMORY) recent.push(id);
      else recent[Math.floor(Math.random() * DUPLICATE_MEMORY)] = id;
    }
    return {
      id,
      pk: dedupPartitionOf(id, options.partitions),
      locationOid: String(1000 + Math.floor(Math.random() * 100)),
      location: 'Market Square',
      cameraOid: '7',
      itemName: ITEMS[Math.floor(Math.random() * ITEMS.length)] as string,
      timestampMs: Date.now(),
      storedAt: new Date().toISOString(),
    };
  };
}
