/**
 * Opt-in large run: one Capture file of real size (REPLAY_LARGE_MB, e.g. 300) replayed through the
 * local runtime. Every count must be exact, and the runtime's peak RSS (VmHWM) stays under 512 MB
 * because replay reads the blob as a stream, one block at a time, and ingests it in slices. It
 * prints the file size, the events, the time, the rate and the peak RSS.
 *
 *   REPLAY_LARGE_MB=300 npx jest test/faults/replayLarge.test.ts
 *
 * Without REPLAY_LARGE_MB it is skipped, so CI never runs it.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { streams, Type } from 'avsc';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { CAPTURE_SCHEMA, captureBlobName } from '../../shared/capture';
import { type Azurite, startAzurite } from '../../local/azurite';
import { LOCAL_CAPTURE_LOCATION } from '../../local/capture';
import type { DetectionGenerator } from '../../tools/lib/generator';
import { getJson, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { tableDifferences, trafficGenerator, writeDatasetB } from './support/traffic';

const SIZE_MB = Number(process.env['REPLAY_LARGE_MB'] ?? 0);
const RSS_LIMIT_MB = 512;
const run = SIZE_MB > 0 ? it : it.skip;
jest.setTimeout(4 * 3_600_000);

let root: string;
let azurite: Azurite | undefined;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'replay-large-'));
});

afterAll(async () => {
  await runtime?.stop();
  await azurite?.stop();
  rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

/** Writes a Capture file of at least `bytes` from the generator, streaming (deflate blocks as Capture writes them). */
async function writeCaptureFile(path: string, bytes: number, generator: DetectionGenerator, enqueuedMs: number): Promise<number> {
  const file = createWriteStream(path);
  const encoder = new streams.BlockEncoder(Type.forSchema(CAPTURE_SCHEMA as unknown as Parameters<typeof Type.forSchema>[0]), {
    codec: 'deflate',
  });
  encoder.pipe(file);
  const enqueued = new Date(enqueuedMs).toISOString();
  let events = 0;
  while (file.bytesWritten + file.writableLength < bytes) {
    for (let index = 0; index < 5_000; index += 1) {
      const event = generator.next();
      // The system properties Event Hubs stamps on every event, as Capture stores them.
      const record = {
        SequenceNumber: events,
        Offset: String(events * 300),
        EnqueuedTimeUtc: enqueued,
        SystemProperties: {
          'x-opt-sequence-number': { long: events },
          'x-opt-offset': { string: String(events * 300) },
          'x-opt-enqueued-time': { long: enqueuedMs + Math.floor(events / 100) },
          'x-opt-partition-key': { string: event.partitionKey ?? '' },
        },
        Properties: {},
        Body: Buffer.from(JSON.stringify(event.body)),
      };
      events += 1;
      if (!encoder.write(record)) await new Promise((resolve) => encoder.once('drain', resolve));
    }
    // Let the deflated blocks reach the file, so its size says how far we are.
    await new Promise((resolve) => setImmediate(resolve));
  }
  encoder.end();
  await finished(file);
  return events;
}

/** Peak resident set of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? NaN) / 1024;
}

async function replay(url: string, fromMs: number, toMs: number): Promise<{ totals: Record<string, number>; seconds: number }> {
  const began = Date.now();
  const started = await fetch(`${url}/api/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }),
  });
  const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
  let lastPrint = 0;
  for (;;) {
    const status = await getJson<{ runtimeStatus: string; output: { totals: Record<string, number> } | null; customStatus: unknown }>(
      statusQueryGetUri,
    );
    if (Date.now() - lastPrint > 30_000) {
      lastPrint = Date.now();
      process.stderr.write(`replay progress after ${Math.round((Date.now() - began) / 1000)} s: ${JSON.stringify(status.customStatus)}\n`);
    }
    if (status.runtimeStatus !== 'Running') {
      if (status.runtimeStatus !== 'Completed' || !status.output) throw new Error(`replay ended ${JSON.stringify(status)}`);
      return { totals: status.output.totals, seconds: (Date.now() - began) / 1000 };
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

run(`replays a ${SIZE_MB} MB Capture file with exact counts, the runtime's peak RSS under ${RSS_LIMIT_MB} MB`, async () => {
  azurite = await startAzurite({ location: join(root, 'azurite') });
  const generator = trafficGenerator(20_261_122, { invalid: 0.002 });
  const startMs = Date.now() - 5 * 60_000;
  const path = join(root, 'capture.avro');
  const events = await writeCaptureFile(path, SIZE_MB * 1024 * 1024, generator, startMs);
  const bytes = statSync(path).size;
  process.stderr.write(`generated ${(bytes / 1024 / 1024).toFixed(1)} MB, ${events} events\n`);
  const name = captureBlobName(LOCAL_CAPTURE_LOCATION, '0', startMs);
  const container = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString }).getContainerClient('capture');
  await container.createIfNotExists();
  await container.getBlockBlobClient(name).uploadFile(path, { blockSize: 8 * 1024 * 1024, concurrency: 4 });
  rmSync(path);

  const datasetB = join(root, 'locations.csv');
  writeDatasetB(datasetB);
  runtime = await startTestRuntime({
    dataDir: join(root, 'data'),
    env: { STORAGE_CONNECTION: azurite.connectionString, DATASET_B_PATH: datasetB, LOG_LEVEL: 'warn' },
  });
  const drainStart = Date.now();
  const { totals, seconds } = await replay(runtime.url, startMs - 60_000, Date.now() + 60_000);
  const health = await waitForDrain(runtime.url, 3_600_000);
  const countedSeconds = (Date.now() - drainStart) / 1000;
  const peak = peakRssMb(runtime.pid);
  const truth = { ...generator.truth.totals };
  const differences = await tableDifferences(runtime.url, generator);

  process.stdout.write(
    `\nlarge replay: ${(bytes / 1024 / 1024).toFixed(1)} MB Capture file, ${events} events; replay done in ${seconds.toFixed(1)} s ` +
      `(${Math.round(events / seconds)} events/s), all counted in ${countedSeconds.toFixed(1)} s; runtime peak RSS ${peak.toFixed(1)} MB; ` +
      `totals ${JSON.stringify(totals)}; truth ${JSON.stringify(truth)}; table differences ${differences.length}\n`,
  );
  expect(totals).toMatchObject({ blobs: 1, failed: 0, events, invalid: truth.invalid, replayed: truth.distinct });
  expect(health.counters.stored).toBe(truth.distinct);
  expect(differences).toEqual([]);
  expect(peak).toBeLessThan(RSS_LIMIT_MB);
});
