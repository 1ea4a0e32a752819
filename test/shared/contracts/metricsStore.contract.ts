import type { MetricsStore } from '../../../shared/ports';

const zero = { accepted: 0, stored: 0, duplicates: 0, conflicts: 0, invalid: 0, unknown_location: 0 };

/** What every MetricsStore must do: start at zero and never lose an increment, even concurrent ones. */
export function metricsStoreContract(name: string, create: () => Promise<MetricsStore> | MetricsStore): void {
  describe(`MetricsStore contract: ${name}`, () => {
    it('reads zeros before anything was added', async () => {
      const store = await create();
      expect(await store.read()).toEqual(zero);
    });

    it('adds deltas, including concurrent ones and the very first ones racing', async () => {
      const store = await create();
      await Promise.all(Array.from({ length: 8 }, () => store.add({ accepted: 2, duplicates: 1 })));
      await store.add({ invalid: 3, unknown_location: 1, stored: 0 });
      await store.add({});
      expect(await store.read()).toEqual({ ...zero, accepted: 16, duplicates: 8, invalid: 3, unknown_location: 1 });
    });
  });
}
