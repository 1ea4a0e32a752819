import { dedupPartitionOf } from '../../../shared/domain/partitioning';
import type { DedupRecord, DedupStore } from '../../../shared/ports';

export function dedupRecord(id: string, overrides: Partial<DedupRecord> = {}): DedupRecord {
  return {
    id,
    pk: dedupPartitionOf(id, 64),
    locationOid: '1',
    location: 'Harbour',
    cameraOid: '7',
    itemName: 'car',
    timestampMs: Date.UTC(2026, 10, 22, 10, 5),
    storedAt: new Date(Date.UTC(2026, 10, 22, 10, 6)).toISOString(),
    ...overrides,
  };
}

/**
 * What every DedupStore must do, whatever its backend: create-only, ids unique within their
 * partition, outcomes in input order, and the stored facts returned for a duplicate so conflicts
 * can be told apart. `create` returns a store with no records.
 */
export function dedupStoreContract(name: string, create: () => Promise<DedupStore> | DedupStore): void {
  describe(`DedupStore contract: ${name}`, () => {
    it('creates new ids and reports copies as duplicates with the stored facts, in input order', async () => {
      const store = await create();
      expect(await store.createMany([dedupRecord('1001'), dedupRecord('1002')])).toEqual([{ status: 'created' }, { status: 'created' }]);

      const outcomes = await store.createMany([
        dedupRecord('1003'),
        dedupRecord('1001', { itemName: 'bus', locationOid: '2' }),
        dedupRecord('1002'),
      ]);
      expect(outcomes).toEqual([
        { status: 'created' },
        { status: 'duplicate', existing: { locationOid: '1', itemName: 'car' } },
        { status: 'duplicate', existing: { locationOid: '1', itemName: 'car' } },
      ]);
    });

    it('never overwrites: the first copy stays the stored one', async () => {
      const store = await create();
      await store.createMany([dedupRecord('2001', { itemName: 'first' })]);
      await store.createMany([dedupRecord('2001', { itemName: 'second' })]);
      const [third] = await store.createMany([dedupRecord('2001', { itemName: 'third' })]);
      expect(third).toEqual({ status: 'duplicate', existing: { locationOid: '1', itemName: 'first' } });
    });

    it('keeps ids above 2^53 apart', async () => {
      const store = await create();
      const outcomes = await store.createMany([dedupRecord('9007199254740993'), dedupRecord('9007199254740992')]);
      expect(outcomes).toEqual([{ status: 'created' }, { status: 'created' }]);
      expect(await store.createMany([dedupRecord('9007199254740993')])).toEqual([
        { status: 'duplicate', existing: { locationOid: '1', itemName: 'car' } },
      ]);
    });

    it('treats an id as unique within its partition only', async () => {
      const store = await create();
      const outcomes = await store.createMany([dedupRecord('3001', { pk: '1' }), dedupRecord('3001', { pk: '2' })]);
      expect(outcomes).toEqual([{ status: 'created' }, { status: 'created' }]);
    });

    it('handles a batch larger than its concurrency, with every outcome in place', async () => {
      const store = await create();
      const ids = Array.from({ length: 150 }, (_, index) => String(500_000 + index));
      await store.createMany(ids.filter((_, index) => index % 3 === 0).map((id) => dedupRecord(id)));
      const outcomes = await store.createMany(ids.map((id) => dedupRecord(id)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map((_, index) => (index % 3 === 0 ? 'duplicate' : 'created')));
    });

    it('accepts an empty batch', async () => {
      const store = await create();
      expect(await store.createMany([])).toEqual([]);
    });
  });
}
