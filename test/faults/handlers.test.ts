/**
 * Faults at handler level, on the local SQLite store: the real `ingest` and `aggregate` handlers get
 * redelivered batches (the same one again, and overlapping ones), two aggregate workers race on the
 * same changes, and the store runs out of space mid-stream. Every count must equal the generator's
 * independent truth afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { aggregate } from '../../functions/aggregate';
import { tally } from '../../functions/tally';
import { ingest } from '../../functions/ingest';
import { topItems } from '../../functions/topItems';
import { HttpRequest } from '@azure/functions';
import { ManualClock, TEST_CONFIG, InMemoryDeadLetters, InMemoryPublisher } from '../support/memory';
import { openLocalStore, type LocalStore, type ChangeDocument } from '../../local/store';
import { refreshRowsTimer } from '../../functions/refreshRows';
import { rowsOfCounter } from '../../shared/domain/counters';
import type { CounterStore, RowsStore } from '../../shared/ports';
import { idleRowsCadence, workerRowsCadence } from '../../shared/pipeline/refreshRows';
import { resetServices, useServices } from '../../functions/services';
import type { Services } from '../../shared/services';
import { DetectionGenerator } from '../../tools/lib/generator';
import { differencesFromTruth, faultRandom, type ServedRow, runSeed, scale } from './support/truth';

const LOCATION_COUNT = 20;
const LOCATION_NAMES = new Map(Array.from({ length: LOCATION_COUNT }, (_, i) => [String(i + 1), `Location ${i + 1}`]));
const NOW = Date.UTC(2026, 10, 22, 10, 30);

jest.setTimeout(scale(60_000, 600_000));

interface Harness {
  readonly store: LocalStore;
  readonly services: Services;
  /** The last tally sequence folded. */
  folded: number;
  /** Lost races that tally and aggregate retried, from the summaries they return. */
  conflictsRetried: number;
  close(): Promise<void>;
}

let invocation = 0;

function open(options: { counters?: (inner: CounterStore) => CounterStore; rows?: (inner: RowsStore) => RowsStore } = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'faults-handlers-'));
  const clock = new ManualClock(NOW);
  const store = openLocalStore(join(dir, 'store.db'), { dedupTtlSeconds: 3600, dedupPartitions: TEST_CONFIG.dedupPartitions, clock });
  const services: Services = {
    host: 'test',
    config: TEST_CONFIG,
    clock,
    dedup: store.dedup,
    tallies: store.tallies,
    counters: options.counters ? options.counters(store.counters) : store.counters,
    rows: options.rows ? options.rows(store.counters) : store.counters,
    deadLetters: new InMemoryDeadLetters(),
    metrics: store.metrics,
    publisher: new InMemoryPublisher(),
    locations: () => Promise.resolve(LOCATION_NAMES),
    backlog: () => Promise.resolve({ events: 0, changes: 0 }),
  };
  useServices(services);
  return {
    store,
    services,
    folded: 0,
    conflictsRetried: 0,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function context(triggerMetadata: Record<string, unknown> = {}): InvocationContext {
  invocation += 1;
  return new InvocationContext({
    invocationId: `fault-${invocation}`,
    triggerMetadata,
    // The handlers' log lines are not part of what these tests check: their summaries are.
    logHandler: () => undefined,
  });
}

interface Message {
  readonly sequence: number;
  readonly body: Buffer;
}

function stream(seed: number, size: number): { generator: DetectionGenerator; messages: Message[] } {
  const generator = new DetectionGenerator({
    seed,
    now: () => NOW,
    locations: LOCATION_COUNT,
    items: 30,
    duplicates: 0.1,
    conflicts: 0.3,
    invalid: 0.02,
    unknownLocations: 0.05,
    late: 0.2,
    lateHours: 5,
    largeIds: 0.2,
  });
  const messages = generator.batch(size).map((event, sequence) => ({ sequence, body: Buffer.from(JSON.stringify(event.body)) }));
  return { generator, messages };
}

/** One ingest invocation in one store transaction, as the local partition pump runs it. */
async function deliverToIngest(harness: Harness, batch: readonly Message[]): Promise<void> {
  const metadata = { partitionContext: { partitionId: '0' }, sequenceNumberArray: batch.map((message) => message.sequence) };
  await harness.store.database.unit(() =>
    ingest(
      batch.map((message) => message.body),
      context(metadata),
    ),
  );
}

/** Stage one: a batch of changes to `tally`, in one store unit as the local pump runs it (or not, like two Function hosts). */
async function deliverToTally(harness: Harness, documents: readonly ChangeDocument[], inUnit = true): Promise<void> {
  const run = () => tally([...documents], context());
  const summary = await (inUnit ? harness.store.database.unit(run) : run());
  harness.conflictsRetried += summary.conflictsRetried;
}

/** Stage two: the tallies after sequence `from` (by default, every one not yet folded) to `aggregate`. */
async function foldTallies(harness: Harness, options: { from?: number; inUnit?: boolean } = {}): Promise<void> {
  const tallies = await harness.store.tallies.readAfter(options.from ?? harness.folded, Number.MAX_SAFE_INTEGER);
  const run = () => aggregate([...tallies], context());
  const summary = await (options.inUnit === false ? run() : harness.store.database.unit(run));
  harness.conflictsRetried += summary.conflictsRetried;
  harness.folded = Math.max(harness.folded, tallies.at(-1)?._lsn ?? 0);
}

/** Both stages, as the two pumps run them. */
async function deliverToAggregation(harness: Harness, documents: readonly ChangeDocument[]): Promise<void> {
  await deliverToTally(harness, documents);
  await foldTallies(harness);
}

async function allChanges(harness: Harness): Promise<ChangeDocument[]> {
  return harness.store.changes.readAfter(0, Number.MAX_SAFE_INTEGER);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

async function served(harness: Harness, window: string): Promise<ServedRow[]> {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost/api/top-items?top=1000&window=${window}` });
  const response = await topItems(request, context());
  expect(response.status).toBe(200);
  return response.jsonBody as ServedRow[];
}

async function expectExact(harness: Harness, generator: DetectionGenerator): Promise<void> {
  const differences = await differencesFromTruth(generator.truth, (window) => served(harness, window), {
    hours: true,
    locationNames: LOCATION_NAMES,
  });
  expect(differences).toEqual([]);
  const metrics = await harness.services.metrics.read();
  expect(metrics.stored).toBe(generator.truth.totals.distinct);
  expect(metrics.unknown_location).toBe(generator.truth.totals.unknownLocation);
}

afterAll(() => resetServices());

describe('redelivered batches', () => {
  it('ingest: the same batch again, and overlapping batches, count once', async () => {
    const seed = runSeed('ingest redelivery');
    const random = faultRandom(seed);
    const { generator, messages } = stream(seed, scale(3_000, 30_000));
    const harness = open();
    try {
      const batches = chunks(messages, 100);
      let redeliveries = 0;
      for (const [index, batch] of batches.entries()) {
        await deliverToIngest(harness, batch);
        if (random() < 0.3) {
          await deliverToIngest(harness, batch);
          redeliveries += 1;
        }
        const next = batches[index + 1];
        if (next && random() < 0.3) {
          // The checkpoint fell back mid-batch: the tail of this batch and the head of the next arrive together.
          await deliverToIngest(harness, [...batch.slice(batch.length / 2), ...next.slice(0, next.length / 2)]);
          redeliveries += 1;
        }
      }
      expect(redeliveries).toBeGreaterThan(0);
      for (const changes of chunks(await allChanges(harness), 250)) await deliverToAggregation(harness, changes);
      await expectExact(harness, generator);
    } finally {
      await harness.close();
    }
  });

  it('tally and aggregate: the same changes or tallies again, and overlapping batches, count once', async () => {
    const seed = runSeed('aggregate redelivery');
    const random = faultRandom(seed);
    const { generator, messages } = stream(seed, scale(3_000, 30_000));
    const harness = open();
    try {
      for (const batch of chunks(messages, 500)) await deliverToIngest(harness, batch);
      const changes = await allChanges(harness);
      const batches = chunks(changes, 120);
      let redeliveries = 0;
      for (const [index, batch] of batches.entries()) {
        await deliverToAggregation(harness, batch);
        if (random() < 0.3) {
          await deliverToAggregation(harness, batch);
          redeliveries += 1;
        }
        const next = batches[index + 1];
        if (next && random() < 0.3) {
          await deliverToAggregation(harness, [...batch.slice(batch.length / 3), ...next.slice(0, next.length / 3)]);
          redeliveries += 1;
        }
        if (random() < 0.1) {
          // A lease restarted from an old checkpoint: everything from the start up to here again.
          await deliverToAggregation(harness, changes.slice(0, changes.indexOf(batch[batch.length - 1] as ChangeDocument) + 1));
          redeliveries += 1;
        }
        if (random() < 0.1) {
          // The tallies' lease restarted from the beginning: every tally again.
          await foldTallies(harness, { from: 0 });
          redeliveries += 1;
        }
      }
      expect(redeliveries).toBeGreaterThan(0);
      await expectExact(harness, generator);
    } finally {
      await harness.close();
    }
  });
});

describe('two workers racing on the same changes, in each stage', () => {
  it('counts each change once, whoever wins each commit', async () => {
    const seed = runSeed('racing aggregators');
    const random = faultRandom(seed);
    const { generator, messages } = stream(seed, scale(2_000, 20_000));
    // Each read yields for a random moment, so the two workers' read-modify-commit cycles interleave.
    const harness = open({
      counters: (inner) => ({
        read: async (location, windows) => {
          const found = await inner.read(location, windows);
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
          return found;
        },
        commit: (commit) => inner.commit(commit),
        list: (filter) => inner.list(filter),
      }),
    });
    try {
      for (const batch of chunks(messages, 500)) await deliverToIngest(harness, batch);
      const changes = await allChanges(harness);
      for (const batch of chunks(changes, 200)) {
        // Worker A takes the batch; worker B the same batch or, as a lease thief starting from the same
        // checkpoint would, the batch and more. Neither runs in a store unit, like two Function hosts.
        const end = Math.min(changes.length, changes.indexOf(batch[0] as ChangeDocument) + batch.length + Math.floor(random() * 200));
        const other = random() < 0.5 ? batch : changes.slice(changes.indexOf(batch[0] as ChangeDocument), end);
        await Promise.all([deliverToTally(harness, batch, false), deliverToTally(harness, other, false)]);
        // Two aggregate workers on the same tallies, from the same checkpoint.
        const from = harness.folded;
        await Promise.all([foldTallies(harness, { from, inUnit: false }), foldTallies(harness, { from, inUnit: false })]);
      }
      expect(harness.conflictsRetried).toBeGreaterThan(0);
      await expectExact(harness, generator);
    } finally {
      await harness.close();
    }
  });
});

describe('a crash between the counter commits and their rows write', () => {
  it.each([0, 5])(
    'leaves the rows due, never wrong, and the first refresh after a restart writes them (crash after %i rows writes)',
    async (crashAfter) => {
      const seed = runSeed(`rows crash ${crashAfter}`);
      const { generator, messages } = stream(seed, scale(2_000, 20_000));
      let written = 0;
      const harness = open({
        rows: (inner) => ({
          due: (filter) => inner.due(filter),
          write: (due, rows, ttl) => {
            if (written >= crashAfter) return Promise.reject(new Error('simulated crash: the worker died before its rows write'));
            written += 1;
            return inner.write(due, rows, ttl);
          },
        }),
      });
      try {
        for (const batch of chunks(messages, 500)) await deliverToIngest(harness, batch);
        const [first, ...rest] = chunks(await allChanges(harness), 500);
        // The cadence is due: the first batch's commits carry their rows. Within the cadence, commits
        // leave their rows due; one cadence later the last batch commits with rows, and the worker
        // dies in the refresh of the due counters that batch did not touch.
        workerRowsCadence.reset();
        await deliverToAggregation(harness, first!);
        for (const part of rest.slice(0, -1)) await deliverToAggregation(harness, part);
        (harness.services.clock as ManualClock).advance(TEST_CONFIG.rowsRefreshSeconds * 1000);
        await deliverToAggregation(harness, rest.at(-1)!);
        expect(written).toBe(crashAfter);
        // The API reads the counters: exact at once.
        await expectExact(harness, generator);
        // Every rows set on disk is the top of its counter's state, or due: never a wrong one left as done.
        const due = await harness.store.counters.due();
        expect(due.length).toBeGreaterThan(0);
        const dueKeys = new Set(due.map(({ state }) => `${state.locationOid}|${state.window}`));
        for (const state of await harness.store.counters.list({})) {
          if (dueKeys.has(`${state.locationOid}|${state.window}`)) continue;
          const rows = (await harness.store.counters.rows(state.locationOid)).filter(
            (row) => row.window === rowsOfCounter(state, 1)[0]?.window,
          );
          expect(rows).toEqual(rowsOfCounter(state, TEST_CONFIG.materializedTop));
        }

        // A new worker on the same store, one ROWS_REFRESH_SECONDS later: its timer repairs every due row set.
        useServices({ ...harness.services, rows: harness.store.counters });
        (harness.services.clock as ManualClock).advance(TEST_CONFIG.rowsRefreshSeconds * 1000);
        workerRowsCadence.reset();
        idleRowsCadence.reset();
        await refreshRowsTimer(
          { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
          context(),
        );
        expect(await harness.store.counters.due()).toEqual([]);
        const rows = await harness.store.counters.rows();
        const expected = (await harness.store.counters.list({})).flatMap((state) => rowsOfCounter(state, TEST_CONFIG.materializedTop));
        const key = (row: { window: string; geographical_location_oid: string; item_rank: number }) =>
          `${row.geographical_location_oid}|${row.window}|${row.item_rank}`;
        expect(new Map(rows.map((row) => [key(row), row]))).toEqual(new Map(expected.map((row) => [key(row), row])));
      } finally {
        await harness.close();
      }
    },
  );
});

describe('the store runs out of space', () => {
  /**
   * Delivers batches in order as a pump does: a batch that fails is retried, never skipped. While
   * the store is full each attempt must fail with a clear error and leave no trace; once space is
   * back the same batch goes through and the stream continues.
   */
  async function deliverThroughFullStore<T>(
    harness: Harness,
    batches: readonly T[],
    deliver: (batch: T) => Promise<void>,
    /** What a failed attempt must leave unchanged. */
    snapshot: () => Promise<unknown>,
  ): Promise<{ failures: string[]; unchanged: boolean[] }> {
    const db = harness.store.database.db;
    // SQLite's own limit on the file size: the next page it needs fails with SQLITE_FULL, exactly as a full disk does.
    const pages = (db.get('PRAGMA page_count') as { page_count: number }).page_count;
    db.exec(`PRAGMA max_page_count = ${pages}`);
    const failures: string[] = [];
    const unchanged: boolean[] = [];
    let full = true;
    for (const batch of batches) {
      const before = JSON.stringify(await snapshot());
      for (let attempt = 1; ; attempt += 1) {
        try {
          await deliver(batch);
          break;
        } catch (error) {
          if (!full) throw error;
          failures.push((error as Error).message);
          unchanged.push(JSON.stringify(await snapshot()) === before);
          // Three failed attempts, then space comes back and the pump's next retry succeeds.
          if (attempt >= 3) {
            db.exec('PRAGMA max_page_count = 1073741823');
            full = false;
          }
        }
      }
    }
    return { failures, unchanged };
  }

  it('fails the batch with a clear error, keeps the store intact, and recovers once space is back', async () => {
    const seed = runSeed('disk full');
    const { generator, messages } = stream(seed, scale(3_000, 20_000));
    const harness = open();
    try {
      const batches = chunks(messages, 200);
      const half = Math.floor(batches.length / 2);
      for (const batch of batches.slice(0, half)) await deliverToIngest(harness, batch);
      const { failures, unchanged } = await deliverThroughFullStore(
        harness,
        batches.slice(half),
        (batch) => deliverToIngest(harness, batch),
        async () => [(await allChanges(harness)).length, await harness.services.metrics.read()],
      );
      expect(failures).toHaveLength(3);
      for (const message of failures) expect(message).toMatch(/disk is full|SQLITE_FULL/i);
      // Each failed attempt left nothing behind: no change logged, no counter moved.
      expect(unchanged).toEqual([true, true, true]);
      expect(harness.store.database.db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
      for (const changes of chunks(await allChanges(harness), 300)) await deliverToAggregation(harness, changes);
      await expectExact(harness, generator);
    } finally {
      await harness.close();
    }
  });

  it('a full store during aggregation rolls the tallies and counters back whole, and the retry completes them', async () => {
    const seed = runSeed('disk full during aggregate');
    const { generator, messages } = stream(seed, scale(2_000, 20_000));
    const harness = open();
    try {
      for (const batch of chunks(messages, 500)) await deliverToIngest(harness, batch);
      const changes = await allChanges(harness);
      const { failures, unchanged } = await deliverThroughFullStore(
        harness,
        chunks(changes, 150),
        (batch) => deliverToAggregation(harness, batch),
        async () => [await harness.store.counters.list({}), await harness.store.tallies.readAfter(0, Number.MAX_SAFE_INTEGER)],
      );
      expect(failures).toHaveLength(3);
      for (const message of failures) expect(message).toMatch(/disk is full|SQLITE_FULL/i);
      expect(unchanged).toEqual([true, true, true]);
      expect(harness.store.database.db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
      await expectExact(harness, generator);
    } finally {
      await harness.close();
    }
  });
});
