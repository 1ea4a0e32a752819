import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../support/memory';
import { emptyCounter, rowsOfCounter } from '../../../shared/domain/counters';
import { dedupPartitionOf } from '../../../shared/domain/partitioning';
import { dedupRecord } from '../../support/dedupRecord';
import { type LocalStore, openLocalStore } from '../../../local/store';

let workspace: string;
const opened: LocalStore[] = [];

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'local-store-'));
});

afterEach(async () => {
  for (const store of opened.splice(0)) if (!store.database.isClosed) await store.close();
  rmSync(workspace, { recursive: true, force: true });
});

function open(clock = new ManualClock(), options: { ttl?: number; partitions?: number; file?: string } = {}): LocalStore {
  const store = openLocalStore(join(workspace, options.file ?? 'store.sqlite'), {
    dedupTtlSeconds: options.ttl ?? 60,
    dedupPartitions: options.partitions ?? 64,
    clock,
  });
  opened.push(store);
  return store;
}

const record = dedupRecord;

describe('local store', () => {
  it('appends each created detection to the change log with a growing sequence, and only created ones', async () => {
    const store = open();
    await store.dedup.createMany([record('10'), record('11', { locationOid: '9007199254740993', location: null })]);
    await store.dedup.createMany([record('10', { itemName: 'bus' }), record('12')]);

    const changes = await store.changes.readAfter(0, 100);
    // The copy of '10' created nothing, but its insert used up lsn 3 (SQLite's AUTOINCREMENT): an
    // lsn orders the changes, as in Cosmos DB, and may skip numbers.
    expect(changes.map((change) => [change.id, change._lsn])).toEqual([
      ['10', 1],
      ['11', 2],
      ['12', 4],
    ]);
    expect(changes[1]).toEqual({
      id: '11',
      pk: dedupPartitionOf('11', 64),
      _lsn: 2,
      locationOid: '9007199254740993',
      location: null,
      cameraOid: '7',
      itemName: 'car',
      timestampMs: Date.UTC(2026, 10, 22, 10, 5),
      storedAt: '2026-11-22T10:06:00.000Z',
    });
    expect(store.dedup.head()).toBe(4);
    expect((await store.changes.readAfter(2, 100)).map((change) => change.id)).toEqual(['12']);
  });

  it('keeps names with U+0000 and astral characters exactly, in the change log, the dedup facts and the rows', async () => {
    const store = open();
    const itemName = 'nul\u0000inside \u{1F697}';
    const location = 'Quay\u0000side';
    await store.dedup.createMany([record('70', { itemName, location })]);
    const [change] = await store.changes.readAfter(0, 10);
    expect(change).toMatchObject({ itemName, location });
    expect(await store.dedup.createMany([record('70', { itemName: 'nul' })])).toEqual([
      { status: 'duplicate', existing: { locationOid: '1', itemName } },
    ]);

    const state = { ...emptyCounter('1', 'all'), location, items: [{ name: itemName, count: 1 }], total: 1 };
    expect(await store.counters.commit({ state, expectedEtag: null })).toBe(true);
    expect((await store.counters.read('1', ['all'])).get('all')?.state.items).toEqual([{ name: itemName, count: 1 }]);
    const [due] = await store.counters.due();
    expect(await store.counters.write(due!, rowsOfCounter(state, 10))).toBe(true);
    expect(await store.counters.rows('1')).toEqual(rowsOfCounter(state, 10));
  });

  it('drops the hourly counters and rows of hours before the oldest retained one, never the all-time ones', async () => {
    const store = open();
    for (const window of ['2026-08-01T00', '2026-08-24T09', '2026-08-24T10', 'all']) {
      await store.counters.commit({
        state: { ...emptyCounter('1', window), items: [{ name: 'car', count: 1 }], total: 1 },
        expectedEtag: null,
      });
    }
    expect(await store.counters.purgeBefore('2026-08-24T10')).toBe(2);
    expect((await store.counters.list({})).map((state) => state.window)).toEqual(['2026-08-24T10', 'all']);
  });

  it('forgets an id once its TTL from the first store has passed, and purges it', async () => {
    const clock = new ManualClock();
    const store = open(clock, { ttl: 60 });
    await store.dedup.createMany([record('20')]);
    clock.advance(59_000);
    expect(await store.dedup.createMany([record('20', { itemName: 'bus' })])).toEqual([
      { status: 'duplicate', existing: { locationOid: '1', itemName: 'car' } },
    ]);
    // The duplicate did not restart the horizon: it still runs from the first store.
    clock.advance(1_000);
    expect(await store.dedup.purgeExpired(store.dedup.head())).toBe(1);
    expect(await store.dedup.createMany([record('20', { itemName: 'bus' })])).toEqual([{ status: 'created' }]);
  });

  it('keeps an expired record in the feed until the tally stage has read it, even when its id comes again', async () => {
    const clock = new ManualClock();
    const store = open(clock, { ttl: 60 });
    await store.dedup.createMany([record('25'), record('26')]);
    clock.advance(61_000);
    // Expired, but only the first change is tallied (checkpoint at lsn 1): the second must stay.
    expect(await store.dedup.purgeExpired(1)).toBe(1);
    expect((await store.changes.readAfter(0, 10)).map((change) => [change.id, change._lsn])).toEqual([['26', 2]]);

    // The id comes again past its TTL: a new change at a new lsn (the first try at the insert used up
    // one), and the old one is still there.
    expect(await store.dedup.createMany([record('26', { itemName: 'bus' })])).toEqual([{ status: 'created' }]);
    expect((await store.changes.readAfter(1, 10)).map((change) => [change.id, change.itemName, change._lsn])).toEqual([
      ['26', 'car', 2],
      ['26', 'bus', 4],
    ]);
    // The new record is the live one: a copy now is a duplicate of it.
    expect(await store.dedup.createMany([record('26', { itemName: 'tram' })])).toEqual([
      { status: 'duplicate', existing: { locationOid: '1', itemName: 'bus' } },
    ]);
    // Once tallied, the superseded record goes; the live one stays until it too expires.
    expect(await store.dedup.purgeExpired(4)).toBe(1);
    expect((await store.changes.readAfter(0, 10)).map((change) => change._lsn)).toEqual([4]);
  });

  it('treats an expired id as absent even before the purge runs', async () => {
    const clock = new ManualClock();
    const store = open(clock, { ttl: 60 });
    await store.dedup.createMany([record('30')]);
    clock.advance(61_000);
    expect(await store.dedup.createMany([record('30', { itemName: 'tram' })])).toEqual([{ status: 'created' }]);
    expect((await store.changes.readAfter(0, 10)).map((change) => change.itemName)).toEqual(['car', 'tram']);
  });

  it('keeps all of a unit or none of it', async () => {
    const store = open();
    await expect(
      store.database.unit(async () => {
        await store.dedup.createMany([record('40')]);
        await store.metrics.add({ stored: 1 });
        await store.checkpoints.set('eventlog/ingest/0', 17);
        throw new Error('the handler failed');
      }),
    ).rejects.toThrow('the handler failed');

    expect(await store.changes.readAfter(0, 10)).toEqual([]);
    expect(store.dedup.head()).toBe(0);
    expect((await store.metrics.read()).stored).toBe(0);
    expect(await store.checkpoints.get('eventlog/ingest/0')).toBeUndefined();

    await store.database.unit(async () => {
      await store.dedup.createMany([record('40')]);
      await store.checkpoints.set('eventlog/ingest/0', 17);
    });
    expect(store.dedup.head()).toBe(1);
    expect(await store.checkpoints.get('eventlog/ingest/0')).toBe(17);
  });

  it('does not let a write from outside join a unit that is under way', async () => {
    const store = open();
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    const unit = store.database.unit(async () => {
      await store.metrics.add({ stored: 5 });
      await paused;
      throw new Error('rolled back after the outside write was issued');
    });
    // Issued while the unit is open: it must wait, and survive the unit's rollback.
    const outside = store.metrics.add({ accepted: 3 });
    release();
    await expect(unit).rejects.toThrow('rolled back');
    await outside;
    expect(await store.metrics.read()).toMatchObject({ accepted: 3, stored: 0 });
  });

  it('commits concurrent writes together but fails only the one that throws', async () => {
    const store = open();
    const good = store.metrics.add({ accepted: 1 });
    const bad = store.database.write(() => {
      store.database.statement("INSERT INTO metrics (name, value) VALUES ('accepted', 100)").run();
    });
    const alsoGood = store.checkpoints.set('x', 3);
    await expect(bad).rejects.toThrow();
    await good;
    await alsoGood;
    expect((await store.metrics.read()).accepted).toBe(1);
    expect(await store.checkpoints.get('x')).toBe(3);
  });

  describe('when SQLite rolls a transaction back by itself (disk full)', () => {
    /** SQLite's own cap on the file size: the next page it needs fails with SQLITE_FULL, as a full disk does. */
    function fillUp(store: LocalStore): () => void {
      const pages = (store.database.db.get('PRAGMA page_count') as { page_count: number }).page_count;
      store.database.db.exec(`PRAGMA max_page_count = ${pages}`);
      return () => store.database.db.exec('PRAGMA max_page_count = 1073741823');
    }
    const tooBig = (store: LocalStore): Promise<unknown> =>
      store.database.write(() => store.database.statement("INSERT INTO meta (key, value) VALUES ('big', ?)").run(['x'.repeat(500_000)]));

    it('runs no further statement of the unit, even if its function carries on, and commits nothing', async () => {
      const store = open();
      await store.checkpoints.set('before', 1);
      const makeRoom = fillUp(store);
      const later: unknown[] = [];
      const unit = store.database.unit(async () => {
        await store.checkpoints.set('first', 1);
        await tooBig(store).catch((error: unknown) => later.push(error));
        // Without the guard these would each commit on their own, outside any transaction.
        await store.checkpoints.set('after', 2).catch((error: unknown) => later.push(error));
        await store.metrics.add({ stored: 7 }).catch((error: unknown) => later.push(error));
      });
      await expect(unit).rejects.toThrow(/rolled this unit's transaction back after database or disk is full/);
      expect(later.map((error) => (error as Error).message)).toEqual([
        expect.stringMatching(/disk is full/),
        expect.stringMatching(/rolled this unit's transaction back after database or disk is full/),
        expect.stringMatching(/rolled this unit's transaction back/),
      ]);
      makeRoom();
      expect(await store.checkpoints.list()).toEqual(new Map([['before', 1]]));
      expect((await store.metrics.read()).stored).toBe(0);

      // The retry, with space back, commits the whole unit.
      await store.database.unit(async () => {
        await store.checkpoints.set('first', 1);
        await store.checkpoints.set('after', 2);
      });
      expect(await store.checkpoints.list()).toEqual(
        new Map([
          ['after', 2],
          ['before', 1],
          ['first', 1],
        ]),
      );
    });

    it('stops concurrent branches of the unit, and refuses writes from a branch that outlives it', async () => {
      const store = open();
      const makeRoom = fillUp(store);
      let straggler: Promise<unknown> | undefined;
      let release!: () => void;
      const paused = new Promise<void>((resolve) => (release = resolve));
      const unit = store.database.unit(async () => {
        const failing = tooBig(store);
        // A branch that writes after its sibling failed, and one the unit does not wait for.
        const sibling = failing.catch(() => store.checkpoints.set('sibling', 1));
        straggler = paused.then(() => store.checkpoints.set('straggler', 1));
        await Promise.all([failing, sibling]);
      });
      await expect(unit).rejects.toThrow(/disk is full/);
      makeRoom();
      release();
      await expect(straggler).rejects.toThrow('a write from a unit that has already ended');
      expect(await store.checkpoints.list()).toEqual(new Map());
    });

    it('fails every write of a group commit that SQLite rolled back, with the cause', async () => {
      const store = open();
      const makeRoom = fillUp(store);
      const [good, bad] = await Promise.allSettled([store.checkpoints.set('good', 1), tooBig(store)]);
      expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/disk is full/) as string } });
      expect(good).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/disk is full/) as string } });
      makeRoom();
      expect(await store.checkpoints.list()).toEqual(new Map());
      await store.checkpoints.set('good', 1);
      expect(await store.checkpoints.get('good')).toBe(1);
    });
  });

  it('never hands out an lsn again after the records below it are purged', async () => {
    const clock = new ManualClock();
    const store = open(clock, { ttl: 60 });
    await store.dedup.createMany([record('50'), record('51')]);
    clock.advance(61_000);
    expect(await store.dedup.purgeExpired(2)).toBe(2);
    await store.dedup.createMany([record('52')]);
    expect((await store.changes.readAfter(0, 10)).map((change) => change._lsn)).toEqual([3]);
    expect(store.dedup.head()).toBe(3);
  });

  it('survives a reopen, including after a process left its lock behind', async () => {
    const clock = new ManualClock();
    const first = open(clock);
    await first.dedup.createMany([record('60')]);
    await first.metrics.add({ stored: 1 });
    await first.close();
    // What a kill -9 of a runtime on the earlier WASM driver leaves: its lock directory.
    mkdirSync(join(workspace, 'store.sqlite.lock'));

    const second = open(clock);
    expect(existsSync(join(workspace, 'store.sqlite.lock'))).toBe(false);
    expect(second.dedup.head()).toBe(1);
    expect((await second.metrics.read()).stored).toBe(1);
    expect(await second.dedup.createMany([record('60')])).toEqual([
      { status: 'duplicate', existing: { locationOid: '1', itemName: 'car' } },
    ]);
  });

  it('refuses to open with a different dedup partition count', async () => {
    await open(new ManualClock(), { partitions: 64 }).close();
    expect(() => open(new ManualClock(), { partitions: 32 })).toThrow(/DEDUP_PARTITIONS is 32 but the store .* was created with 64/);
  });
});
