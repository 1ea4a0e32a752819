import { InMemoryCounterStore, ManualClock } from '../../support/memory';
import type { CountedChange } from '../../../shared/domain/tallies';
import { tallyOf } from '../../../shared/domain/tallies';
import { applyTallies } from '../../../shared/pipeline/aggregate';

const change = (sequence: number, locationOid = '1', itemName = 'car', partition = '0'): CountedChange => ({
  partition,
  sequence,
  detectionOid: String(sequence),
  locationOid,
  location: `Place ${locationOid}`,
  itemName,
  timestampMs: Date.UTC(2026, 10, 22, 10),
});

const deps = (counters: InMemoryCounterStore, clock = new ManualClock()) => ({ counters, clock, hourlyRetentionDays: 90 });

describe('applyTallies', () => {
  it('summarises what it counted and what was already counted', async () => {
    const counters = new InMemoryCounterStore();
    const first = tallyOf([change(1), change(2), change(3, '2')]);
    expect(await applyTallies([first], deps(counters))).toEqual({
      tallies: 1,
      counted: 3,
      redelivered: 0,
      conflictsRetried: 0,
      expiredHours: 0,
      rowsWithCommits: 0,
    });
    expect(await applyTallies([first, tallyOf([change(4)])], deps(counters))).toEqual({
      tallies: 2,
      counted: 1,
      redelivered: 3,
      conflictsRetried: 0,
      expiredHours: 0,
      rowsWithCommits: 0,
    });
    expect((await counters.list({ locationOid: '1', windows: ['all'] }))[0]).toMatchObject({ total: 3, watermarks: { '0': 4 } });
  });

  it("writes each committed counter's top rows with the commit when the rows are due, and none of a redelivery", async () => {
    const counters = new InMemoryCounterStore();
    const batch = tallyOf([change(1), change(2, '1', 'bus'), change(3, '2')]);
    expect(await applyTallies([batch], { ...deps(counters), rowsTop: 1 })).toMatchObject({ counted: 3, rowsWithCommits: 4 });
    expect(await counters.due()).toEqual([]);
    expect(counters.rows('1').map((row) => [row.window, row.item_rank, row.item_name, row.item_count])).toEqual([
      ['all', 1, 'bus', 1],
      ['hour:2026-11-22T10', 1, 'bus', 1],
    ]);
    expect(await applyTallies([batch], { ...deps(counters), rowsTop: 1 })).toMatchObject({ redelivered: 3, rowsWithCommits: 0 });
  });

  it('commits each counter once per batch however many tallies and partitions touch it', async () => {
    const counters = new InMemoryCounterStore();
    let commits = 0;
    counters.beforeCommit(() => {
      commits += 1;
      return Promise.resolve();
    });
    const tallies = ['0', '1', '2', '3'].map((partition, index) =>
      tallyOf([change(index * 10 + 1, '1', 'car', partition), change(index * 10 + 2, '1', 'bus', partition)]),
    );
    await applyTallies(tallies, deps(counters));
    // One location, two windows (all-time and the hour): two commits for four partitions' tallies.
    expect(commits).toBe(2);
    expect((await counters.list({ windows: ['all'] }))[0]).toMatchObject({ total: 8, watermarks: { '0': 2, '1': 12, '2': 22, '3': 32 } });
  });

  it('writes nothing for a redelivered batch: every counter it touches is left unchanged', async () => {
    const counters = new InMemoryCounterStore();
    const batch = [tallyOf([change(1), change(2, '2')])];
    await applyTallies(batch, deps(counters));
    const commits = counters.commits;
    expect(await applyTallies(batch, deps(counters))).toMatchObject({ counted: 0, redelivered: 2 });
    expect(counters.commits).toBe(commits);
  });

  it('gives hourly counters a ttl that ends HOURLY_RETENTION_DAYS after their hour, and leaves out hours already expired', async () => {
    const counters = new InMemoryCounterStore();
    // The detections are of 22 Nov 10:00; it is now 22 Nov 10:30, then 90 days and 1 hour later.
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 10, 30));
    await applyTallies([tallyOf([change(1)])], deps(counters, clock));
    expect(counters.ttlOf('1', 'all')).toBeUndefined();
    expect(counters.ttlOf('1', '2026-11-22T10')).toBe(90 * 86_400 + 1800);

    clock.set(Date.UTC(2026, 10, 22, 11) + 90 * 86_400_000);
    const late = await applyTallies([tallyOf([change(2)])], deps(counters, clock));
    expect(late).toMatchObject({ counted: 1, expiredHours: 1 });
    expect((await counters.list({ locationOid: '1', windows: ['all'] }))[0]?.total).toBe(2);
    expect((await counters.list({ locationOid: '1', windows: ['2026-11-22T10'] }))[0]?.total).toBe(1);
  });

  it('re-reads and re-folds a counter whose conditional write lost a race', async () => {
    const counters = new InMemoryCounterStore();
    counters.loseRaces(3);
    const summary = await applyTallies([tallyOf([change(1), change(2)])], deps(counters));
    expect(summary).toMatchObject({ counted: 2, conflictsRetried: 3 });
    expect((await counters.list({ windows: ['all'] }))[0]?.items).toEqual([{ name: 'car', count: 2 }]);
  });

  it('folds in tallies another writer committed between its read and its write, without counting them twice', async () => {
    const counters = new InMemoryCounterStore();
    const shared = tallyOf([change(1), change(2)]);
    let interfered = false;
    counters.beforeCommit(async () => {
      if (interfered) return;
      interfered = true;
      // Another instance commits an overlapping batch first.
      await applyTallies([shared, tallyOf([change(5, '1', 'bus', '9')])], deps(counters));
    });
    await applyTallies([shared], deps(counters));
    expect((await counters.list({ windows: ['all'] }))[0]).toMatchObject({
      items: [
        { name: 'car', count: 2 },
        { name: 'bus', count: 1 },
      ],
      total: 3,
    });
  });

  it('gives up with an error naming the location when its counters never stop changing', async () => {
    const counters = new InMemoryCounterStore();
    counters.loseRaces(1_000);
    await expect(applyTallies([tallyOf([change(1, '9007199254740993')])], deps(counters))).rejects.toThrow(
      /location 9007199254740993: counters kept changing/,
    );
  });

  it('commits many locations with bounded concurrency', async () => {
    const counters = new InMemoryCounterStore();
    let inFlight = 0;
    let maxInFlight = 0;
    counters.beforeCommit(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
    });
    await applyTallies([tallyOf(Array.from({ length: 40 }, (_, index) => change(index + 1, String(index))))], {
      ...deps(counters),
      concurrency: 3,
    });
    expect(maxInFlight).toBe(3);
    expect(await counters.list({ windows: ['all'] })).toHaveLength(40);
  });
});
