import { type CounterState, type CounterWindow, emptyCounter, rowsOfCounter } from '../../../shared/domain/counters';
import type { Int64 } from '../../../shared/domain/ids';
import type { ItemCount, TopItemRow } from '../../../shared/domain/ranking';
import { ManualClock } from '../../support/memory';
import type { CounterStore, RowsStore } from '../../../shared/ports';
import { refreshRows } from '../../../shared/pipeline/refreshRows';

export interface CounterStoreUnderTest {
  readonly store: CounterStore & RowsStore;
  /** The flat rows the store holds for a location (as Power BI reads them). */
  readonly rows: (locationOid: Int64) => Promise<TopItemRow[]>;
  /** Another instance on the same data: a restarted worker, or a second one. */
  readonly another: () => CounterStore & RowsStore;
}

/** Refreshes every due row set at the hour of the contract's states, keeping `top` ranks. */
const refresh = (rows: RowsStore, top = 10) =>
  refreshRows({ rows, clock: new ManualClock(Date.UTC(2026, 10, 22, 12)), materializedTop: top, hourlyRetentionDays: 90 });

export function counterState(
  locationOid: Int64,
  window: CounterWindow,
  items: ItemCount[],
  watermarks: Record<string, number> = {},
): CounterState {
  return {
    ...emptyCounter(locationOid, window),
    location: `Location ${locationOid}`,
    items,
    total: items.reduce((sum, item) => sum + item.count, 0),
    watermarks,
    updatedAt: new Date(Date.UTC(2026, 10, 22, 11)).toISOString(),
  };
}

const byRank = (a: TopItemRow, b: TopItemRow): number => (a.window < b.window ? -1 : a.window > b.window ? 1 : a.item_rank - b.item_rank);
const rowFields = (row: TopItemRow): TopItemRow => ({
  geographical_location_oid: row.geographical_location_oid,
  geographical_location: row.geographical_location,
  item_rank: row.item_rank,
  item_name: row.item_name,
  item_count: row.item_count,
  window: row.window,
  window_start: row.window_start,
  window_end: row.window_end,
});

/**
 * What every CounterStore must do: conditional commits (create only if absent, replace only on the
 * etag read), rows marked due by a commit and written by a refresh only while the counter keeps the
 * etag they were computed from, and listing by location and windows. `create`
 * returns an empty store.
 */
export function counterStoreContract(name: string, create: () => Promise<CounterStoreUnderTest> | CounterStoreUnderTest): void {
  describe(`CounterStore contract: ${name}`, () => {
    it('reads nothing for counters that do not exist', async () => {
      const { store } = await create();
      expect((await store.read('1', ['all', '2026-11-22T10'])).size).toBe(0);
    });

    it('creates a counter only if it does not exist yet', async () => {
      const { store } = await create();
      const state = counterState('1', 'all', [{ name: 'car', count: 2 }], { '7': 12 });
      expect(await store.commit({ state, expectedEtag: null })).toBe(true);
      expect(await store.commit({ state, expectedEtag: null })).toBe(false);

      const stored = (await store.read('1', ['all'])).get('all');
      expect(stored?.state).toEqual(state);
      expect(typeof stored?.etag).toBe('string');
    });

    it('replaces a counter only with the etag it was read at, and the etag changes on every write', async () => {
      const { store } = await create();
      const first = counterState('1', 'all', [{ name: 'car', count: 1 }], { '3': 1 });
      await store.commit({ state: first, expectedEtag: null });
      const read1 = (await store.read('1', ['all'])).get('all')!;

      const second = counterState('1', 'all', [{ name: 'car', count: 2 }], { '3': 2 });
      expect(await store.commit({ state: second, expectedEtag: read1.etag })).toBe(true);
      const read2 = (await store.read('1', ['all'])).get('all')!;
      expect(read2.etag).not.toBe(read1.etag);
      expect(read2.state).toEqual(second);

      // A writer still holding the first etag lost the race: refused, nothing changes.
      const stale = counterState('1', 'all', [{ name: 'car', count: 99 }], { '3': 9 });
      expect(await store.commit({ state: stale, expectedEtag: read1.etag })).toBe(false);
      expect((await store.read('1', ['all'])).get('all')?.state).toEqual(second);
    });

    it('lets exactly one of two writers with the same etag win', async () => {
      const { store } = await create();
      const base = counterState('5', 'all', [{ name: 'car', count: 1 }]);
      await store.commit({ state: base, expectedEtag: null });
      const { etag } = (await store.read('5', ['all'])).get('all')!;
      const a = counterState('5', 'all', [{ name: 'car', count: 2 }]);
      const b = counterState('5', 'all', [
        { name: 'bus', count: 1 },
        { name: 'car', count: 1 },
      ]);
      const results = await Promise.all([store.commit({ state: a, expectedEtag: etag }), store.commit({ state: b, expectedEtag: etag })]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.read('5', ['all'])).get('all')?.state).toEqual(results[0] ? a : b);
    });

    it('keeps counters of different windows and locations apart, and lists them by filter', async () => {
      const { store } = await create();
      const states = [
        counterState('9007199254740993', 'all', [{ name: 'car', count: 3 }]),
        counterState('9007199254740993', '2026-11-22T10', [{ name: 'car', count: 1 }]),
        counterState('9007199254740993', '2026-11-22T12', [{ name: 'car', count: 2 }]),
        counterState('9007199254740992', 'all', [{ name: 'bus', count: 1 }]),
        counterState('9007199254740992', '2026-11-22T11', [{ name: 'bus', count: 1 }]),
      ];
      for (const state of states) await store.commit({ state, expectedEtag: null });

      const key = (state: CounterState): string => `${state.locationOid}|${state.window}`;
      const keys = async (filter: Parameters<CounterStore['list']>[0]): Promise<string[]> => (await store.list(filter)).map(key).sort();

      expect(await keys({})).toEqual(states.map(key).sort());
      expect(await keys({ locationOid: '9007199254740993' })).toEqual(states.slice(0, 3).map(key).sort());
      expect(await keys({ windows: ['all'] })).toEqual(['9007199254740992|all', '9007199254740993|all']);
      expect(await keys({ windows: ['2026-11-22T10', '2026-11-22T12'] })).toEqual([
        '9007199254740993|2026-11-22T10',
        '9007199254740993|2026-11-22T12',
      ]);
      expect(await keys({ windows: ['2026-11-22T10', '2026-11-22T11', '2026-11-22T12'], locationOid: '9007199254740992' })).toEqual([
        '9007199254740992|2026-11-22T11',
      ]);
      expect(await keys({ windows: ['all', '2026-11-22T11'] })).toEqual([
        '9007199254740992|2026-11-22T11',
        '9007199254740992|all',
        '9007199254740993|all',
      ]);
      expect(await keys({ windows: [] })).toEqual([]);
      expect((await store.list({ locationOid: '9007199254740993', windows: ['all'] }))[0]).toEqual(states[0]);
    });

    it('marks the rows due with each commit, and a refresh writes them once', async () => {
      const { store, rows } = await create();
      const first = counterState('3', '2026-11-22T10', [
        { name: 'car', count: 3 },
        { name: 'bus', count: 2 },
        { name: 'van', count: 1 },
      ]);
      await store.commit({ state: first, expectedEtag: null });
      expect(await rows('3')).toEqual([]);
      expect((await store.due()).map((due) => due.state)).toEqual([first]);
      expect(await refresh(store, 3)).toMatchObject({ due: 1, written: 1, moved: 0 });
      expect((await rows('3')).map(rowFields).sort(byRank)).toEqual(rowsOfCounter(first, 3));
      expect(await store.due()).toEqual([]);
      expect(await refresh(store, 3)).toMatchObject({ due: 0, written: 0 });
    });

    it('keeps committing after a rows write, and drops the ranks past a lower top', async () => {
      const { store, rows } = await create();
      const first = counterState('3', '2026-11-22T10', [
        { name: 'car', count: 3 },
        { name: 'bus', count: 2 },
        { name: 'van', count: 1 },
      ]);
      await store.commit({ state: first, expectedEtag: null });
      await refresh(store, 3);
      const { etag } = (await store.read('3', ['2026-11-22T10'])).get('2026-11-22T10')!;
      const second = counterState('3', '2026-11-22T10', [
        { name: 'bus', count: 4 },
        { name: 'car', count: 3 },
        { name: 'van', count: 1 },
      ]);
      expect(await store.commit({ state: second, expectedEtag: etag })).toBe(true);
      // Fewer rows than before, as after MATERIALIZED_TOP was lowered: rank 3 must go.
      await refresh(store, 2);
      expect((await rows('3')).map(rowFields).sort(byRank)).toEqual(rowsOfCounter(second, 2));
    });

    it('refuses a rows write computed from a counter that moved on, and writes the newer rows next time', async () => {
      const { store, rows } = await create();
      const first = counterState('4', 'all', [{ name: 'car', count: 1 }]);
      await store.commit({ state: first, expectedEtag: null });
      const [stale] = await store.due();
      const { etag } = (await store.read('4', ['all'])).get('all')!;
      const second = counterState('4', 'all', [{ name: 'car', count: 2 }], { '0': 2 });
      expect(await store.commit({ state: second, expectedEtag: etag })).toBe(true);
      expect(await store.write(stale!, rowsOfCounter(first, 10), undefined)).toBe(false);
      expect(await rows('4')).toEqual([]);
      expect(await refresh(store)).toMatchObject({ written: 1 });
      expect((await rows('4')).map(rowFields)).toEqual(rowsOfCounter(second, 10));
    });

    it('leaves the rows due across a crash between the commit and the rows write', async () => {
      const { store, rows, another } = await create();
      const state = counterState('5', 'all', [{ name: 'tram', count: 4 }]);
      await store.commit({ state, expectedEtag: null });
      // The worker dies here; a new one starts on the same data and refreshes.
      const restarted = another();
      expect(await refresh(restarted)).toMatchObject({ due: 1, written: 1 });
      expect((await rows('5')).map(rowFields)).toEqual(rowsOfCounter(state, 10));
    });

    it('stays exact when another instance writes the rows between two commits of a writer', async () => {
      const { store, another } = await create();
      const first = counterState('6', 'all', [{ name: 'car', count: 1 }], { '0': 1 });
      await store.commit({ state: first, expectedEtag: null });
      const { etag } = (await store.read('6', ['all'])).get('all')!;
      await refresh(another());
      const second = counterState('6', 'all', [{ name: 'car', count: 2 }], { '0': 2 });
      const committed = await store.commit({ state: second, expectedEtag: etag });
      if (!committed) {
        // Where a rows write moves the etag (Cosmos DB), the writer reads again and commits on that.
        const again = (await store.read('6', ['all'])).get('all')!;
        expect(again.state).toEqual(first);
        expect(await store.commit({ state: second, expectedEtag: again.etag })).toBe(true);
      }
      expect(await store.list({ locationOid: '6' })).toEqual([second]);
    });

    it('writes the rows with a commit that carries them, leaving nothing due, and only the rows that changed', async () => {
      const { store, rows } = await create();
      // car, bus and van counts of one hourly counter at location 7.
      const at = (car: number, bus: number, van: number) =>
        counterState('7', '2026-11-22T10', [
          { name: 'car', count: car },
          { name: 'bus', count: bus },
          { name: 'van', count: van },
        ]);
      const etagOf = async () => (await store.read('7', ['2026-11-22T10'])).get('2026-11-22T10')!.etag;
      const first = at(3, 2, 1);
      expect(await store.commit({ state: first, expectedEtag: null, rows: rowsOfCounter(first, 2) })).toBe(true);
      expect((await rows('7')).map(rowFields).sort(byRank)).toEqual(rowsOfCounter(first, 2));
      expect(await store.due()).toEqual([]);
      const second = at(3, 2, 2);
      // Within the cadence a commit carries no rows: they fall due, and the next one with rows writes them.
      expect(await store.commit({ state: second, expectedEtag: await etagOf() })).toBe(true);
      expect((await store.due()).map((due) => due.state)).toEqual([second]);
      const etag2 = await etagOf();
      const third = at(4, 2, 2);
      expect(await store.commit({ state: third, expectedEtag: etag2, rows: rowsOfCounter(third, 3) })).toBe(true);
      expect((await rows('7')).map(rowFields).sort(byRank)).toEqual(rowsOfCounter(third, 3));
      expect(await store.due()).toEqual([]);
    });

    it('refuses a commit that carries rows when the counter moved on, writing neither', async () => {
      const { store, rows } = await create();
      const first = counterState('8', 'all', [{ name: 'car', count: 1 }]);
      await store.commit({ state: first, expectedEtag: null, rows: rowsOfCounter(first, 10) });
      const { etag } = (await store.read('8', ['all'])).get('all')!;
      const second = counterState('8', 'all', [{ name: 'car', count: 2 }], { '0': 2 });
      expect(await store.commit({ state: second, expectedEtag: etag })).toBe(true);
      const stale = counterState('8', 'all', [{ name: 'bus', count: 9 }], { '0': 9 });
      expect(await store.commit({ state: stale, expectedEtag: etag, rows: rowsOfCounter(stale, 10) })).toBe(false);
      expect((await rows('8')).map(rowFields)).toEqual(rowsOfCounter(first, 10));
      expect(await store.list({ locationOid: '8' })).toEqual([second]);
    });

    it('lists only the due counters idle since a time, when asked', async () => {
      const { store } = await create();
      const idle = { ...counterState('9', 'all', [{ name: 'car', count: 1 }]), updatedAt: '2026-11-22T11:00:00.000Z' };
      const active = { ...counterState('10', 'all', [{ name: 'car', count: 1 }]), updatedAt: '2026-11-22T11:00:09.000Z' };
      await store.commit({ state: idle, expectedEtag: null });
      await store.commit({ state: active, expectedEtag: null });
      const before = (filter: { updatedBefore: string; fromCache?: boolean }) =>
        store.due(filter).then((due) => due.map((entry) => entry.state.locationOid).sort());
      expect(await before({ updatedBefore: '2026-11-22T11:00:05.000Z' })).toEqual(['9']);
      expect(await before({ updatedBefore: '2026-11-22T11:00:09.000Z' })).toEqual(['10', '9']);
      // The writer's own view: the counters it committed, whether or not the store keeps a cache.
      expect(await before({ updatedBefore: '2026-11-22T11:00:05.000Z', fromCache: true })).toEqual(['9']);
    });

    it('leaves the rows alone when a commit is refused', async () => {
      const { store, rows } = await create();
      const first = counterState('4', 'all', [{ name: 'car', count: 1 }]);
      await store.commit({ state: first, expectedEtag: null });
      await refresh(store);
      const refused = counterState('4', 'all', [{ name: 'tram', count: 5 }]);
      expect(await store.commit({ state: refused, expectedEtag: null })).toBe(false);
      expect((await rows('4')).map(rowFields)).toEqual(rowsOfCounter(first, 10));
      expect(await store.due()).toEqual([]);
    });
  });
}
