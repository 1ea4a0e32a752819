import { type Tally, tallyOf } from '../../../shared/domain/tallies';
import type { TallyStore } from '../../../shared/ports';
import { countedChange } from '../../support/aggregation';

const tallyOfRange = (partition: string, from: number, to: number): Tally =>
  tallyOf(
    Array.from({ length: to - from + 1 }, (_, index) =>
      countedChange(partition, from + index, index % 2 ? 'bus' : 'a\u0000b', { locationOid: '9007199254740993' }),
    ),
  );

/**
 * What every TallyStore must do: a partition's cursor starts empty, moves only from the etag it was
 * read at, and each successful append stores its tally (read back through `tallies`, the feed).
 */
export function tallyStoreContract(
  name: string,
  create: () => Promise<{ store: TallyStore; tallies: () => Promise<Tally[]> }> | { store: TallyStore; tallies: () => Promise<Tally[]> },
): void {
  describe(`TallyStore contract: ${name}`, () => {
    it('starts every partition without a cursor', async () => {
      const { store, tallies } = await create();
      expect(await store.cursor('7')).toEqual({ lastSequence: null, etag: null });
      expect(await tallies()).toEqual([]);
    });

    it('appends tallies, moving the cursor each time from the etag it was read at', async () => {
      const { store, tallies } = await create();
      const first = tallyOfRange('7', 1, 3);
      expect(await store.append(first, null)).toBe(true);
      const cursor = await store.cursor('7');
      expect(cursor.lastSequence).toBe(3);
      const second = tallyOfRange('7', 4, 9);
      expect(await store.append(second, cursor.etag)).toBe(true);
      expect((await store.cursor('7')).lastSequence).toBe(9);
      expect(await store.cursor('8')).toEqual({ lastSequence: null, etag: null });
      expect(await tallies()).toEqual([first, second]);
    });

    it('refuses an append from a stale cursor, or a first append when a cursor exists, and stores nothing then', async () => {
      const { store, tallies } = await create();
      const first = tallyOfRange('7', 1, 3);
      await store.append(first, null);
      const stale = await store.cursor('7');
      await store.append(tallyOfRange('7', 4, 5), stale.etag);
      expect(await store.append(tallyOfRange('7', 4, 8), stale.etag)).toBe(false);
      expect(await store.append(tallyOfRange('7', 6, 8), null)).toBe(false);
      expect((await store.cursor('7')).lastSequence).toBe(5);
      expect((await tallies()).map((tally) => tally.id)).toEqual(['7:1', '7:4']);
    });

    it('lets exactly one of two racing appends from the same cursor win', async () => {
      const { store, tallies } = await create();
      const results = await Promise.all([store.append(tallyOfRange('3', 1, 2), null), store.append(tallyOfRange('3', 1, 4), null)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await tallies()).toHaveLength(1);
    });
  });
}
