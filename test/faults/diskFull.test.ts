/**
 * The disk fills up under the running runtime: writes to its event log and its SQLite store fail
 * with ENOSPC (tools/faultFs.ts, switched on by a file) while traffic flows. A request that cannot
 * be made durable must not get a 202, the error must say what is wrong, the process must stay up,
 * and once space is back everything resumes. Afterwards, and after a restart that re-reads the log
 * and the store from disk, every count is exact.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getJson, type Health, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { batchesOf, exactCounters, sendAll, tableDifferences, trafficGenerator, writeDatasetB } from './support/traffic';
import { runSeed, scale } from './support/truth';

jest.setTimeout(scale(300_000, 1_800_000));

const EVENTS = scale(3_000, 30_000);
const FULL_MS = scale(2_000, 10_000);
const FAULT_HOOK = join(__dirname, '..', '..', 'tools', 'faultFs.ts');

let root: string;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'faults-disk-'));
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

const SCENARIOS = [
  // Both files live on the data disk: the append fails first, so nothing is published.
  { name: 'the event log and the store', files: '(eventlog|store\\.sqlite)' },
  // Only the store's writes fail (its WAL grows, the log's segment still has room): events are
  // durable in the log before the request fails, and the client's retry sends them again.
  { name: 'the store only', files: 'store\\.sqlite' },
] as const;

it.each(SCENARIOS)('a full disk under $name: refuses what it cannot store, says why, and recovers exactly', async ({ name, files }) => {
  const seed = runSeed(`disk full (${name})`);
  const scenarioRoot = mkdtempSync(join(root, 'scenario-'));
  const dataDir = join(scenarioRoot, 'data');
  const diskFull = join(scenarioRoot, 'disk-is-full');
  const datasetB = join(scenarioRoot, 'locations.csv');
  writeDatasetB(datasetB);
  const launch = (): Promise<RuntimeProcess> =>
    startTestRuntime({
      dataDir,
      nodeArgs: ['--import', 'tsx', '--import', FAULT_HOOK],
      env: {
        DATASET_B_PATH: datasetB,
        PARTITIONS: '4',
        FAULT_FS_SWITCH: diskFull,
        // Azurite (a separate process) keeps its own disk.
        FAULT_FS_MATCH: `^${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${files}`,
      },
    });
  runtime = await launch();
  const target = { url: runtime.url };
  const generator = trafficGenerator(seed);
  const batches = batchesOf(generator, EVENTS, 50);
  const third = Math.floor(batches.length / 3);

  await sendAll(target, batches.slice(0, third), { concurrency: 1 });
  writeFileSync(diskFull, '');
  const ended = new Promise<void>((resolve) =>
    setTimeout(() => {
      rmSync(diskFull, { force: true });
      resolve();
    }, FULL_MS),
  );
  const sent = await sendAll(target, batches.slice(third), { concurrency: 1 });
  await ended;

  // While the disk was full, requests were answered (not hung), never with a 202, and the answer named the cause.
  expect(sent.retried).toBeGreaterThan(0);
  expect(sent.errors.length).toBeGreaterThan(0);
  // SQLite reports a failed write as a "disk I/O error"; the event log passes ENOSPC through.
  for (const error of sent.errors) expect(error).toMatch(/^50[03] .*(ENOSPC|no space left|disk I\/O error|disk is full)/s);
  expect(runtime.child.exitCode).toBeNull();

  const health = await waitForDrain(target.url);
  expect(await tableDifferences(target.url, generator)).toEqual([]);
  expect(exactCounters(health)).toEqual({
    stored: generator.truth.totals.distinct,
    unknown_location: generator.truth.totals.unknownLocation,
    acceptedMinusStoredDuplicatesBacklog: 0,
  });

  // Nothing on disk is damaged: a restart re-reads the log and the store and serves the same tables.
  await runtime.stop();
  runtime = await launch();
  expect(runtime.output()).not.toMatch(/truncat|corrupt|malformed/i);
  const again = await waitForDrain(runtime.url);
  expect(again.counters).toEqual(health.counters);
  expect(await tableDifferences(runtime.url, generator)).toEqual([]);
  expect((await getJson<Health>(`${runtime.url}/api/health`)).status).toBe('ready');
  await runtime.stop();
  runtime = undefined;
});
