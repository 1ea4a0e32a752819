/**
 * kill -9 of the local runtime at random points while traffic flows and while the backlog drains,
 * several times per run, each time restarted on the same data directory. A client retries every
 * batch until it gets a 202. Afterwards every count, all-time and per hour, equals the generator's
 * truth: nothing acknowledged is lost, nothing is counted twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteConnectionString } from '../../local/azurite';
import { eventually } from '../support/eventually';
import { captureDifference, deadLetterDifferences, readDeadLetters } from './support/capture';
import { getJson, type Health, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { batchesOf, exactCounters, sendAll, tableDifferences, type Target, trafficGenerator, writeDatasetB } from './support/traffic';
import { faultRandom, runSeed, scale } from './support/truth';

jest.setTimeout(scale(300_000, 1_800_000));

const KILLS = scale(3, 10);
const EVENTS = scale(4_000, 40_000);
const BATCH = 50;

let root: string;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'faults-crash-'));
});

afterAll(async () => {
  // A graceful stop also stops the runtime's Azurite; the ones of killed runtimes exit by themselves.
  await runtime?.stop();
  rmSync(root, { recursive: true, force: true, maxRetries: 40, retryDelay: 250 });
});

it(`survives ${KILLS} kill -9 at random points with exact counts`, async () => {
  const seed = runSeed('kill -9');
  const random = faultRandom(seed);
  const datasetB = join(root, 'locations.csv');
  writeDatasetB(datasetB);
  const launch = (): Promise<RuntimeProcess> =>
    startTestRuntime({
      dataDir: join(root, 'data'),
      env: { DATASET_B_PATH: datasetB, PARTITIONS: '4', INGEST_BATCH_SIZE: '200', CAPTURE_WINDOW_SECONDS: '1' },
    });

  const generator = trafficGenerator(seed);
  const invalidBodies: string[] = [];
  const batches = batchesOf(generator, EVENTS, BATCH, invalidBodies);
  runtime = await launch();
  const target: Target = { url: runtime.url };

  // Kill points: after a random number of acknowledged batches, plus a few milliseconds so the kill
  // lands in the middle of requests, appends, ingest units and aggregation.
  const killPoints = Array.from({ length: KILLS }, () => Math.floor(random() * batches.length)).sort((a, b) => a - b);
  let acknowledged = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  const reached = (count: number): Promise<void> =>
    new Promise((resolve) => (acknowledged >= count ? resolve() : waiters.push({ at: count, resolve })));

  const restarts: string[] = [];
  const killer = (async () => {
    // The last kill waits for the drain to start rather than for traffic, to hit aggregation too.
    for (const [index, point] of killPoints.entries()) {
      if (index === killPoints.length - 1) await reached(batches.length);
      else await reached(point);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      await runtime?.kill9();
      runtime = await launch();
      target.url = runtime.url;
      restarts.push(`killed after ${acknowledged} acknowledged batches`);
    }
  })();

  const sent = await sendAll(target, batches, {
    concurrency: 1,
    onAcknowledged: (count) => {
      acknowledged = count;
      for (const waiter of waiters.filter((candidate) => candidate.at <= count)) waiter.resolve();
    },
  });
  await killer;
  expect(restarts).toHaveLength(KILLS);
  expect(sent.acknowledged).toBe(batches.length);

  const health = await waitForDrain(runtime.url);
  expect(await tableDifferences(runtime.url, generator)).toEqual([]);
  expect(exactCounters(health)).toEqual({
    stored: generator.truth.totals.distinct,
    unknown_location: generator.truth.totals.unknownLocation,
    acceptedMinusStoredDuplicatesBacklog: 0,
  });

  // The blob side survived the kills too: dead letters and capture files, none lost, none doubled.
  const storage = azuriteConnectionString(runtime.info.blobEndpoint);
  expect(deadLetterDifferences(await readDeadLetters(storage), invalidBodies)).toEqual({ missing: [], foreign: [] });
  await eventually(
    () => captureDifference(storage, generator.truth.totals.distinct),
    (problem) => problem === undefined,
    { what: 'the capture archive to hold every detection once', timeoutMs: 60_000, intervalMs: 500, retryErrors: true },
  );

  // One more clean restart: everything is still there and nothing is counted again.
  await runtime?.stop();
  runtime = await launch();
  const again = await waitForDrain(runtime.url);
  expect(again.counters.stored).toBe(generator.truth.totals.distinct);
  expect(await tableDifferences(runtime.url, generator)).toEqual([]);
  expect((await getJson<Health>(`${runtime.url}/api/health`)).status).toBe('ready');
});
