import type { Int64 } from './ids';

/**
 * The dedup store's logical partition of a detection: a stable hash of its canonical id. Every copy of
 * a detection lands in the same partition, where the id is unique, and a bounded number of partitions
 * keeps the aggregator's per-partition watermarks small. The bucket count must never change while
 * dedup records live: a different count sends a retried copy to a different partition.
 */
export function dedupPartitionOf(detectionOid: Int64, buckets: number): string {
  let hash = 0x811c9dc5; // FNV-1a, 32-bit
  for (let i = 0; i < detectionOid.length; i += 1) {
    hash ^= detectionOid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return String((hash >>> 0) % buckets);
}

/** The event log / Event Hubs partition of an event: keyed by camera, so one camera's events stay in order. */
export function partitionOfKey(key: string, partitions: number): number {
  return Number(dedupPartitionOf(key, partitions));
}
