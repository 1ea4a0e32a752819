import { aggregate } from '../../functions/aggregate';
import { ingest } from '../../functions/ingest';
import { refreshRowsTimer } from '../../functions/refreshRows';
import { tally } from '../../functions/tally';
import type { ManualClock, MemoryChange, MemoryServices } from '../support/memory';
import type { TallyFeedDocument } from '../../shared/domain/tallies';
import type { TopItemRow } from '../../shared/domain/ranking';
import { idleRowsCadence, workerRowsCadence } from '../../shared/pipeline/refreshRows';
import { eventHubContext, installMemoryServices, invocationContext } from './support';
import {
  eventText,
  generateEvents,
  type GeneratedEvent,
  independentTally,
  leasesOf,
  random,
  rankedFromTally,
  slices,
  type Tally,
} from './workload';

/**
 * Exactly-once of the counters under the change feed's delivery faults, through both aggregation
 * stages. Each scenario ingests a workload with duplicates and conflicts through the ingest handler,
 * feeds the dedup store's change feed to `tally` and the tallies' feed to `aggregate` the way the
 * Cosmos DB trigger may: the same batch twice, a superset after a crash, two instances on the same
 * lease at once. The result is compared with a tally computed straight from the generated events.
 */

async function ingestAll(services: MemoryServices, events: readonly GeneratedEvent[]): Promise<MemoryChange[]> {
  let sequence = 0;
  for (const batch of slices(events, 97)) {
    const sequences = batch.map(() => sequence++);
    await ingest(
      batch.map((event) => Buffer.from(eventText(event))),
      eventHubContext('0', sequences).context,
    );
  }
  return services.dedup.changes();
}

interface TallySummary {
  changes: number;
  tallies: number;
  tallied: number;
  redelivered: number;
  conflictsRetried: number;
}

interface Summary {
  tallies: number;
  counted: number;
  redelivered: number;
  conflictsRetried: number;
}

/** The trigger hands over documents as JSON: give the handlers copies, never the store's objects. */
const asDelivered = (batch: readonly unknown[]): unknown[] => JSON.parse(JSON.stringify(batch)) as unknown[];

/** Stage one: a change-feed batch of the dedup container to `tally`, which returns its summary. */
const deliverChanges = (batch: readonly MemoryChange[]): Promise<TallySummary> =>
  tally(asDelivered(batch), invocationContext({ functionName: 'tally' }).context);

/** Stage two: a batch of the tallies' feed to `aggregate`, which returns its summary. */
const deliver = (batch: readonly TallyFeedDocument[]): Promise<Summary> =>
  aggregate(asDelivered(batch), invocationContext({ functionName: 'aggregate' }).context);

/** Stage one, clean: every lease of the dedup feed tallied in batches of `size`. */
async function tallyAll(changes: readonly MemoryChange[], size = 150): Promise<void> {
  for (const lease of leasesOf(changes, 3)) for (const batch of slices(lease, size)) await deliverChanges(batch);
}

/** One ROWS_REFRESH_SECONDS later, the idle-flush timer runs (as after a restart, with a cold worker). */
async function oneCadenceLater(services: MemoryServices & { clock: ManualClock }): Promise<void> {
  services.clock.advance(services.config.rowsRefreshSeconds * 1000);
  workerRowsCadence.reset();
  idleRowsCadence.reset();
  const { context } = invocationContext({ functionName: 'refreshRows' });
  await refreshRowsTimer(TIMER_TICK, context);
}

async function expectExact(services: MemoryServices & { clock: ManualClock }, tally: Tally): Promise<void> {
  await oneCadenceLater(services);
  const states = await services.counters.list({});
  const actual = new Map(states.map((state) => [`${state.locationOid}|${state.window}`, state]));
  const expectedKeys: string[] = [];
  for (const [location, windows] of tally) {
    for (const [window, items] of windows) {
      const key = `${location}|${window}`;
      expectedKeys.push(key);
      const state = actual.get(key);
      expect({ key, items: state?.items }).toEqual({ key, items: rankedFromTally(items) });
      expect(state?.total).toBe([...items.values()].reduce((sum, count) => sum + count, 0));
    }
  }
  expect([...actual.keys()].sort()).toEqual(expectedKeys.sort());

  // The flat rows for Power BI are the top ranks of the same exact counts.
  const rows = services.counters.rows();
  for (const [location, windows] of tally) {
    for (const [window, items] of windows) {
      const label = window === 'all' ? 'all' : `hour:${window}`;
      const counterRows = rows
        .filter((row: TopItemRow) => row.geographical_location_oid === location && row.window === label)
        .sort((a, b) => a.item_rank - b.item_rank);
      expect(counterRows.map((row) => [row.item_rank, row.item_name, row.item_count])).toEqual(
        rankedFromTally(items)
          .slice(0, services.config.materializedTop)
          .map((item, index) => [index + 1, item.name, item.count]),
      );
    }
  }
}

const TIMER_TICK = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

const locations = new Map([
  ['1', 'Harbour'],
  ['2', 'Old Town'],
  ['9223372036854775000', 'Airport'],
]);

describe('tally and aggregate: exactly-once counters under redelivery', () => {
  it('counts each detection once when every batch is delivered twice, and when the whole feed is replayed', async () => {
    const services = installMemoryServices({ locations });
    const events = generateEvents(1200, 1);
    const changes = await ingestAll(services, events);
    const expected = independentTally(events);
    expect(changes.length).toBe(new Set(events.map((event) => event.detection)).size);

    let tallied = 0;
    for (const lease of leasesOf(changes, 3)) {
      for (const batch of slices(lease, 120)) {
        const first = await deliverChanges(batch);
        const second = await deliverChanges(batch);
        tallied += first.tallied;
        expect(second).toMatchObject({ tallies: 0, tallied: 0, redelivered: batch.length });
      }
    }
    expect(tallied).toBe(changes.length);

    let counted = 0;
    for (const batch of slices(services.tallies.feed(), 7)) {
      const first = await deliver(batch);
      const second = await deliver(batch);
      counted += first.counted;
      expect(second).toMatchObject({ counted: 0, redelivered: batch.reduce((sum, document) => sum + document.changes, 0) });
    }
    expect(counted).toBe(changes.length);
    await expectExact(services, expected);

    // A replay of both feeds (e.g. leases reset with startFromBeginning) changes nothing.
    const feedLength = services.tallies.feed().length;
    expect((await deliverChanges(changes)).tallied).toBe(0);
    expect(services.tallies.feed()).toHaveLength(feedLength);
    expect((await deliver(services.tallies.feed())).counted).toBe(0);
    await expectExact(services, expected);
  });

  it.each([0, 1, 3, 8, 20])('recovers from a crash after %i commits when the redelivery is a superset of the batch', async (crashAfter) => {
    const services = installMemoryServices({ locations });
    const events = generateEvents(900, 2 + crashAfter);
    const changes = await ingestAll(services, events);

    await tallyAll(changes);
    const batches = slices(services.tallies.feed(), 4);
    // The first delivery dies part-way: some counters committed, the rest not, the checkpoint unmoved.
    services.counters.crashAfterCommits(crashAfter);
    await expect(deliver(batches[0]!)).rejects.toThrow(/simulated crash/);
    services.counters.crashAfterCommits(undefined);
    // The redelivery starts at the same checkpoint and reaches further.
    await deliver([...batches[0]!, ...(batches[1] ?? [])]);
    for (const batch of batches.slice(2)) await deliver(batch);
    await expectExact(services, independentTally(events));
  });

  it.each([0, 2, 7])(
    'repairs the rows within one cadence after a crash between the counter commits and rows write %i',
    async (rowsWrites) => {
      const services = installMemoryServices({ locations });
      const events = generateEvents(600, 60 + rowsWrites);
      await tallyAll(await ingestAll(services, events));
      const feed = services.tallies.feed();
      workerRowsCadence.reset();
      await deliver(feed.slice(0, 1));
      // Within the cadence the counters commit and their rows fall due.
      for (const batch of slices(feed.slice(1, -1), 5)) await deliver(batch);
      const dueBefore = (await services.counters.due()).length;
      // One cadence later the last batch commits its counters with their rows, then the refresh of the
      // due counters it did not touch dies part-way.
      services.clock.advance(services.config.rowsRefreshSeconds * 1000);
      services.counters.crashAfterRowsWrites(rowsWrites);
      await deliver(feed.slice(-1));
      expect(services.counters.rowsWritesAlone).toBe(rowsWrites);
      // The counters are exact at once (the API reads them); the rows are due, not wrong.
      const due = await services.counters.due();
      expect(due.length).toBeGreaterThan(0);
      expect(due.length).toBeLessThan(dueBefore);
      services.counters.crashAfterRowsWrites(undefined);
      await expectExact(services, independentTally(events));
      expect(await services.counters.due()).toEqual([]);
    },
  );

  it('writes the rows at most once per cadence while tallies flow, and only the counters that changed', async () => {
    const services = installMemoryServices({ locations });
    const events = generateEvents(600, 77);
    await tallyAll(await ingestAll(services, events));
    const feed = services.tallies.feed();
    workerRowsCadence.reset();
    await deliver(feed.slice(0, 1));
    const afterFirst = services.counters.rowsWrites;
    expect(afterFirst).toBeGreaterThan(0);
    // Within the cadence: counters commit, rows wait.
    services.clock.advance(1000);
    for (const batch of slices(feed.slice(1), 5)) await deliver(batch);
    expect(services.counters.rowsWrites).toBe(afterFirst);
    // A redelivery after the cadence changes no counter: nothing is due, nothing is written.
    await expectExact(services, independentTally(events));
    const settled = services.counters.rowsWrites;
    services.clock.advance(services.config.rowsRefreshSeconds * 1000);
    await deliver(feed);
    expect(services.counters.rowsWrites).toBe(settled);
  });

  it('recovers when crashes strike again during the redeliveries, in either stage', async () => {
    const services = installMemoryServices({ locations });
    const events = generateEvents(800, 42);
    const changes = await ingestAll(services, events);
    const next = random(42);
    for (const lease of leasesOf(changes, 2)) {
      let checkpoint = 0;
      while (checkpoint < lease.length) {
        const end = Math.min(lease.length, checkpoint + 20 + Math.floor(next() * 150));
        // A tally store fault after some partitions' tallies were created: the batch fails, its
        // checkpoint stays, and the redelivery (maybe longer or shorter) must not tally them again.
        if (next() < 0.5) services.tallies.failNext();
        try {
          await deliverChanges(lease.slice(checkpoint, end));
          checkpoint = end;
        } catch {
          // The checkpoint stays: the next delivery starts from it again.
        }
      }
    }
    const feed = services.tallies.feed();
    let checkpoint = 0;
    while (checkpoint < feed.length) {
      const end = Math.min(feed.length, checkpoint + 1 + Math.floor(next() * 6));
      if (next() < 0.5) services.counters.crashAfterCommits(Math.floor(next() * 6));
      try {
        await deliver(feed.slice(checkpoint, end));
        checkpoint = end;
      } catch {
        // The checkpoint stays: the next delivery starts from it again, possibly larger.
      } finally {
        services.counters.crashAfterCommits(undefined);
      }
    }
    await expectExact(services, independentTally(events));
  });

  it.each([1, 2, 3, 4, 5, 6])(
    'stays exact when two instances process overlapping batches of the same lease at once (seed %i)',
    async (seed) => {
      const services = installMemoryServices({ locations });
      const events = generateEvents(1000, 100 + seed);
      const changes = await ingestAll(services, events);
      const next = random(seed);
      // Between a counter's read and its conditional write, let the other instance run, and now and
      // then refuse a write as if a third writer had won.
      services.counters.beforeCommit(async () => {
        for (let ticks = Math.floor(next() * 4); ticks > 0; ticks -= 1) await new Promise((resolve) => setImmediate(resolve));
        if (next() < 0.05) services.counters.loseRaces(1);
      });

      // After a lease rebalance both the old owner (still finishing) and the new one (starting at the
      // last checkpoint) hold batches that begin at the same place but end apart: in stage one on
      // the dedup feed's leases, and in stage two on the tallies' feed.
      const race = async <T, D>(feed: readonly D[], maxBatch: number, handle: (batch: D[]) => Promise<T>): Promise<T[]> => {
        const summaries: T[] = [];
        let checkpoint = 0;
        while (checkpoint < feed.length) {
          const endA = Math.min(feed.length, checkpoint + 1 + Math.floor(next() * maxBatch));
          const endB = Math.min(feed.length, checkpoint + 1 + Math.floor(next() * maxBatch));
          summaries.push(...(await Promise.all([handle(feed.slice(checkpoint, endA)), handle(feed.slice(checkpoint, endB))])));
          checkpoint = Math.max(endA, endB);
        }
        return summaries;
      };
      const tallySummaries = (await Promise.all(leasesOf(changes, 2).map((lease) => race(lease, 120, deliverChanges)))).flat();
      expect(tallySummaries.reduce((sum, summary) => sum + summary.tallied, 0)).toBe(changes.length);
      const summaries = await race(services.tallies.feed(), 8, deliver);

      await expectExact(services, independentTally(events));
      expect(summaries.reduce((sum, summary) => sum + summary.counted, 0)).toBe(changes.length);
      expect(services.counters.refused).toBeGreaterThan(0);
    },
  );
});
