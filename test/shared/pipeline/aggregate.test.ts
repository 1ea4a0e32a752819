import { InMemoryCounterStore, ManualClock } from '../../../shared/adapters/memory';
import type { CountedChange } from '../../../shared/domain/counters';
import { applyChanges } from '../../../shared/pipeline/aggregate';

const change = (sequence: number, locationOid = '1', itemName = 'car'): CountedChange => ({
  partition: String(sequence % 4),
  sequence,
  detectionOid: String(sequence),
  locationOid,
  location: `Place ${locationOid}`,
  itemName,
  timestampMs: Date.UTC(2026, 10, 22, 10),
});

const deps = (counters: InMemoryCounterStore) => ({ counters, clock: new ManualClock(), materializedTop: 10 });

describe('applyChanges', () => {
  it('summarises what it counted and what was already counted', async () => {
    const counters = new InMemoryCounterStore();
    const batch = [change(1), change(2), change(3, '2')];
    expect(await applyChanges(batch, deps(counters))).toEqual({ changes: 3, counted: 3, redelivered: 0, conflictsRetried: 0 });
    expect(await applyChanges([...batch, change(4)], deps(counters))).toEqual({
      changes: 4,
      counted: 1,
      redelivered: 3,
      conflictsRetried: 0,
    });
  });

  it('re-reads and re-folds a counter whose conditional write lost a race', async () => {
    const counters = new InMemoryCounterStore();
    counters.loseRaces(3);
    const summary = await applyChanges([change(1), change(2)], deps(counters));
    expect(summary).toMatchObject({ counted: 2, conflictsRetried: 3 });
    expect((await counters.list({ windows: ['all'] }))[0]?.items).toEqual([{ name: 'car', count: 2 }]);
  });

  it('folds in changes another writer committed between its read and its write, without counting them twice', async () => {
    const counters = new InMemoryCounterStore();
    let interfered = false;
    counters.beforeCommit(async () => {
      if (interfered) return;
      interfered = true;
      // Another instance commits an overlapping batch first.
      await applyChanges([change(1), change(5, '1', 'bus')], deps(counters));
    });
    await applyChanges([change(1), change(2)], deps(counters));
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
    await expect(applyChanges([change(1, '9007199254740993')], deps(counters))).rejects.toThrow(
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
    await applyChanges(
      Array.from({ length: 40 }, (_, index) => change(index + 1, String(index))),
      { ...deps(counters), concurrency: 3 },
    );
    expect(maxInFlight).toBe(3);
    expect(await counters.list({ windows: ['all'] })).toHaveLength(40);
  });
});
