/**
 * A replay of the capture archive while live traffic flows, then another once it has stopped: dedup
 * makes both harmless. Every count equals the truth, and the counters add up with the replays in:
 * accepted + replayed + replay duplicates = stored + duplicates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteConnectionString } from '../../local/azurite';
import { eventually } from '../support/eventually';
import { readCapture } from './support/capture';
import { type Health, getJson, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { batchesOf, sendAll, tableDifferences, trafficGenerator, writeDatasetB } from './support/traffic';
import { runSeed, scale } from './support/truth';

jest.setTimeout(scale(300_000, 1_800_000));

const EVENTS = scale(4_000, 40_000);

interface ReplayTotals {
  blobs: number;
  events: number;
  replayed: number;
  duplicates: number;
  invalid: number;
  failed: number;
}

let root: string;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'faults-replay-'));
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

interface ReplayStatus {
  runtimeStatus: string;
  output: { totals?: ReplayTotals; error?: string } | null;
}

async function replay(baseUrl: string, fromMs: number, toMs: number): Promise<ReplayTotals> {
  const started = await fetch(`${baseUrl}/api/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }),
  });
  const startBody = (await started.json()) as { statusQueryGetUri?: string; error?: string };
  if (started.status !== 202 || !startBody.statusQueryGetUri)
    throw new Error(`replay refused: ${started.status} ${JSON.stringify(startBody)}`);
  const statusUri = startBody.statusQueryGetUri;
  const ended = await eventually(
    async () => (await (await fetch(statusUri)).json()) as ReplayStatus,
    (body) => body.runtimeStatus !== 'Running',
    { what: 'the replay to end', timeoutMs: 600_000, intervalMs: 200 },
  );
  if (ended.runtimeStatus !== 'Completed' || !ended.output?.totals)
    throw new Error(`replay ended ${ended.runtimeStatus}: ${JSON.stringify(ended.output)}`);
  return ended.output.totals;
}

it('replays during live traffic and again afterwards without changing a count', async () => {
  const seed = runSeed('replay during traffic');
  const datasetB = join(root, 'locations.csv');
  writeDatasetB(datasetB);
  runtime = await startTestRuntime({
    dataDir: join(root, 'data'),
    env: { DATASET_B_PATH: datasetB, PARTITIONS: '4', CAPTURE_WINDOW_SECONDS: '1' },
  });
  const url = runtime.url;
  const storage = azuriteConnectionString(runtime.info.blobEndpoint);
  const startedAt = Date.now() - 60_000;

  const generator = trafficGenerator(seed);
  const batches = batchesOf(generator, EVENTS, 50);
  const half = Math.floor(batches.length / 2);
  await sendAll({ url }, batches.slice(0, half), { concurrency: 1 });
  await eventually(
    () => readCapture(storage),
    (captured) => captured.files > 0,
    { what: 'a capture file', intervalMs: 500, retryErrors: true },
  );

  // The second half goes out while a replay of everything captured so far runs.
  const [, during] = await Promise.all([sendAll({ url }, batches.slice(half), { concurrency: 1 }), replay(url, startedAt, Date.now())]);
  expect(during.failed).toBe(0);
  expect(during.events).toBeGreaterThan(0);

  await waitForDrain(url);
  // Wait until the capture archive holds every record, then replay all of it once more.
  await eventually(
    async () => {
      const captured = await readCapture(storage);
      return { detections: captured.detectionOids.size, gapsOrDoubles: captured.gapsOrDoubles.length };
    },
    (captured) => captured.detections === generator.truth.totals.distinct && captured.gapsOrDoubles === 0,
    { what: 'the capture archive to hold every detection once', timeoutMs: 60_000, intervalMs: 500, retryErrors: true },
  );
  const after = await replay(url, startedAt, Date.now() + 1000);
  expect(after).toMatchObject({ failed: 0, replayed: 0 });
  expect(after.duplicates + after.invalid).toBe(after.events);

  const health = await waitForDrain(url);
  expect(await tableDifferences(url, generator)).toEqual([]);
  expect(health.counters.stored).toBe(generator.truth.totals.distinct);
  expect(health.counters.unknown_location).toBe(generator.truth.totals.unknownLocation);
  const replayedIn = during.replayed + during.duplicates + after.replayed + after.duplicates;
  expect(health.counters.accepted + replayedIn).toBe(health.counters.stored + health.counters.duplicates);
  expect((await getJson<Health>(`${url}/api/health`)).status).toBe('ready');
});
