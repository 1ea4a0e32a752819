import { dedupPartitionOf, partitionOfKey } from '../../../shared/domain/partitioning';

describe('dedupPartitionOf', () => {
  it('is FNV-1a (32-bit) of the canonical id, taken modulo the bucket count', () => {
    // Published FNV-1a test vectors; with 2^32 buckets the bucket is the hash itself.
    expect(dedupPartitionOf('', 2 ** 32)).toBe(String(0x811c9dc5));
    expect(dedupPartitionOf('a', 2 ** 32)).toBe(String(0xe40c292c));
    expect(dedupPartitionOf('foobar', 2 ** 32)).toBe(String(0xbf9cf968));
    expect(dedupPartitionOf('foobar', 64)).toBe(String(0xbf9cf968 % 64));
  });

  it('sends every copy of a detection to the same partition, and ids next to each other apart', () => {
    expect(dedupPartitionOf('9007199254740993', 64)).toBe(dedupPartitionOf('9007199254740993', 64));
    expect(dedupPartitionOf('9007199254740993', 64)).not.toBe(dedupPartitionOf('9007199254740992', 64));
  });

  it('spreads ids over all buckets', () => {
    const counts = new Map<string, number>();
    for (let id = 0; id < 64_000; id += 1) {
      const bucket = dedupPartitionOf(String(9007199254740000 + id), 64);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    expect(counts.size).toBe(64);
    for (const count of counts.values()) expect(count).toBeGreaterThan(700);
  });

  it('maps an event-log key to a partition number in range', () => {
    for (const key of ['1', '2', 'camera-9', '9223372036854775807']) {
      const partition = partitionOfKey(key, 4);
      expect(Number.isInteger(partition) && partition >= 0 && partition < 4).toBe(true);
    }
  });
});
