/**
 * Blob storage goes away for a while: the runtime runs against an Azurite of the test's own
 * (STORAGE_CONNECTION), which is stopped mid-stream and started again on the same port and data
 * location. Requests that need storage (those with rows to dead-letter) fail and are retried by the
 * client; the capture writer stalls and retries. Afterwards: exact counts, every invalid event in the
 * dead letters, and a capture archive with every log record exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Azurite, startAzurite } from '../../local/azurite';
import { freePort } from '../../local/net';
import { eventually, until } from '../support/eventually';
import { captureDifference, deadLetterDifferences, readDeadLetters } from './support/capture';
import { getJson, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { batchesOf, exactCounters, sendAll, tableDifferences, trafficGenerator, writeDatasetB } from './support/traffic';
import { faultRandom, runSeed, scale } from './support/truth';

jest.setTimeout(scale(300_000, 1_800_000));

const OUTAGES = scale(1, 3);
const OUTAGE_MS = scale(3_000, 15_000);
const EVENTS = scale(3_000, 30_000);

let root: string;
let azurite: Azurite | undefined;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'faults-storage-'));
});

afterAll(async () => {
  await runtime?.stop();
  await azurite?.stop();
  rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

it(`stalls and retries through ${OUTAGES} storage outage(s), dropping nothing`, async () => {
  const seed = runSeed('storage outage');
  const random = faultRandom(seed);
  const blobPort = await freePort();
  const azuriteDir = join(root, 'azurite');
  azurite = await startAzurite({ location: azuriteDir, blobPort });
  const connectionString = azurite.connectionString;
  const datasetB = join(root, 'locations.csv');
  writeDatasetB(datasetB);
  runtime = await startTestRuntime({
    dataDir: join(root, 'data'),
    env: { DATASET_B_PATH: datasetB, STORAGE_CONNECTION: connectionString, PARTITIONS: '4', CAPTURE_WINDOW_SECONDS: '1' },
  });
  const target = { url: runtime.url };

  // Enough invalid events that most requests carry one, so they need the dead-letter store.
  const generator = trafficGenerator(seed, { invalid: 0.05 });
  const invalidBodies: string[] = [];
  const batches = batchesOf(generator, EVENTS, 40, invalidBodies);
  let acknowledged = 0;
  const outagePoints = Array.from({ length: OUTAGES }, (_, i) => Math.floor(((i + 0.2 + random() * 0.6) / OUTAGES) * batches.length * 0.8));
  const duringOutage: { health: number | string; topItems: number | string }[] = [];

  const outages = (async () => {
    for (const point of outagePoints) {
      await until(() => acknowledged >= point, { what: `${point} acknowledged batches`, timeoutMs: 600_000, intervalMs: 20 });
      await azurite?.stop();
      const probe = async (path: string): Promise<number | string> => {
        try {
          return (await fetch(`${target.url}${path}`, { signal: AbortSignal.timeout(60_000) })).status;
        } catch (error) {
          return (error as Error).name;
        }
      };
      // The read side keeps answering while storage is down.
      duringOutage.push({ health: await probe('/api/health'), topItems: await probe('/api/top-items?top=3') });
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      azurite = await startAzurite({ location: azuriteDir, blobPort });
    }
  })();

  const sent = await sendAll(target, batches, { concurrency: 1, onAcknowledged: (count) => (acknowledged = count) });
  await outages;
  expect(sent.acknowledged).toBe(batches.length);
  expect(sent.retried).toBeGreaterThan(0); // the outage was felt
  expect(duringOutage).toEqual(Array.from({ length: OUTAGES }, () => ({ health: 200, topItems: 200 })));

  const health = await waitForDrain(target.url);
  expect(await tableDifferences(target.url, generator)).toEqual([]);
  expect(exactCounters(health)).toEqual({
    stored: generator.truth.totals.distinct,
    unknown_location: generator.truth.totals.unknownLocation,
    acceptedMinusStoredDuplicatesBacklog: 0,
  });

  // Dead letters: every invalid event is there. A letter may be there twice, when its upload reached
  // Azurite just as it stopped and the request was retried; nothing else is.
  expect(health.counters.invalid).toBe(generator.truth.totals.invalid);
  expect(deadLetterDifferences(await readDeadLetters(connectionString), invalidBodies)).toEqual({ missing: [], foreign: [] });

  // Capture resumed: every record of every partition is archived exactly once, every detection is in it.
  await eventually(
    () => captureDifference(connectionString, generator.truth.totals.distinct),
    (problem) => problem === undefined,
    { what: 'the capture archive to hold every detection once', timeoutMs: 60_000, intervalMs: 500, retryErrors: true },
  );
  expect((await getJson<{ status: string }>(`${target.url}/api/health`)).status).toBe('ready');
});
