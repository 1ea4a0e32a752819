import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { buildCaptureFile, CaptureWindow, decodeCaptureFile } from '../../shared/capture';
import type { ReplayReport } from '../../shared/pipeline/replay';
import { type Azurite, startAzurite } from '../../local/azurite';
import { LOCAL_CAPTURE_LOCATION } from '../../local/capture';
import type { ReplayStatus } from '../../local/replay';
import { main as replayTool } from '../../tools/replay';
import { startTestRuntime } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { eventually } from '../support/eventually';

/**
 * Recovery end to end on the local runtime: a first runtime captures what it receives; a second one,
 * with an empty data directory but the same blob storage, replays the capture and must reach the very
 * same top-X tables. Replaying again changes nothing; a corrupt Capture file in the range is reported
 * and skipped; a range past the dedup horizon is refused.
 */
jest.setTimeout(180_000);

let workspace: string;
let azurite: Azurite;
let runtime: RuntimeProcess | undefined;
const startedAt = Date.now();

/** A runtime process (local/main.ts) on its own data directory, sharing the test's Azurite. */
async function start(dataDir: string): Promise<RuntimeProcess> {
  runtime = await startTestRuntime({
    dataDir: join(workspace, dataDir),
    env: { STORAGE_CONNECTION: azurite.connectionString, CAPTURE_WINDOW_SECONDS: '2', PARTITIONS: '4', LOG_LEVEL: 'warn' },
  });
  return runtime;
}

/** SIGTERM: a graceful stop, which writes the open capture windows. */
async function stop(): Promise<void> {
  const exit = await runtime?.stop();
  if (exit) expect(exit).toEqual({ code: 0, signal: null });
  runtime = undefined;
}

async function request<T = unknown>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, runtime!.url), init);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

interface Health {
  counters: { accepted: number; stored: number; duplicates: number };
  backlog: { events: number; changes: number };
}

/** Waits until every accepted event is ingested and every stored detection is folded into the counters. */
async function settled(): Promise<Health> {
  return eventually(
    async () => (await request<Health>('/api/health')).body,
    (health) => health.backlog.events === 0 && health.backlog.changes === 0,
    { what: 'an empty backlog', timeoutMs: 60_000 },
  );
}

/** The whole top-X state: all-time and every hour the workload touched, 20 ranks. */
async function tables(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const window of ['all', ...hours]) result[window] = (await request(`/api/top-items?top=20&window=${window}`)).body;
  return result;
}

// A workload with everything replay must get right: duplicates and conflicting copies, invalid events,
// an unknown location, ids past 2^53, late events in other hours.
const HOUR = 3_600_000;
const baseHour = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const hours = [0, 1, 2].map((offset) => `hour:${new Date(baseHour + offset * HOUR).toISOString().slice(0, 13)}`);
const items = ['bicycle', 'car', 'bus', 'dog', 'Car', 'scooter', 'pram'];
function workload(): string[] {
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const lines: string[] = [];
  const sent: string[] = [];
  for (let index = 0; index < 600; index += 1) {
    const roll = random();
    if (roll < 0.08 && sent.length > 0) {
      lines.push(sent[Math.floor(random() * sent.length)]!); // an exact resend
      continue;
    }
    if (roll < 0.1) {
      lines.push('{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":3.5,"item_name":"car","timestamp_detected":1}');
      continue;
    }
    const detection = roll < 0.13 ? `92233720368547758${String(index).padStart(2, '0').slice(-2)}` : String(9_007_199_254_740_000 + index);
    const location = roll < 0.15 ? '999' : String(1 + Math.floor(random() * 5));
    const item = items[Math.floor(random() * items.length)]!;
    const timestamp = baseHour + Math.floor(random() * 3 * HOUR);
    const line = `{"geographical_location_oid":${location},"video_camera_oid":${1 + Math.floor(random() * 20)},"detection_oid":${detection},"item_name":"${item}","timestamp_detected":${timestamp}}`;
    lines.push(line);
    sent.push(line);
    if (roll > 0.97) lines.push(line.replace(`"item_name":"${item}"`, '"item_name":"conflicting copy"'));
  }
  return lines;
}

const silentIo = () => {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    io: { stdout, stderr, env: {}, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) },
    output: () => out,
    errors: () => err,
  };
};

async function replayViaApi(from: string, to: string): Promise<ReplayReport> {
  const started = await request<{ id: string; statusQueryGetUri: string }>('/api/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to }),
  });
  expect(started.status).toBe(202);
  expect(started.body.statusQueryGetUri).toBe(`${runtime!.url}/api/replay/${started.body.id}`);
  const status = await eventually(
    async () => (await fetch(started.body.statusQueryGetUri).then((response) => response.json())) as ReplayStatus,
    (value) => value.runtimeStatus !== 'Running',
    { what: 'the replay to finish', timeoutMs: 60_000 },
  );
  expect(status.runtimeStatus).toBe('Completed');
  return status.output as ReplayReport;
}

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'replay-e2e-'));
  azurite = await startAzurite({ location: join(workspace, 'azurite') });
});

afterAll(async () => {
  await stop();
  await azurite?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

describe('capture and replay on the local runtime', () => {
  let original: Record<string, unknown>;
  let originalStored: number;
  const from = new Date(startedAt - 60_000).toISOString();
  let to: string;

  it('captures every accepted event of a first runtime exactly once, across a kill -9', async () => {
    const lines = workload();
    const send = async (part: string[]) => {
      for (let offset = 0; offset < part.length; offset += 150) {
        const answer = await request<{ accepted: number }>('/api/events', {
          method: 'POST',
          body: part.slice(offset, offset + 150).join('\n'),
        });
        expect(answer.status).toBe(202);
      }
    };
    await start('first');
    await send(lines.slice(0, 300));
    await settled();
    // No flush: what was not yet in a Capture file is captured by the next start, from the checkpoint.
    expect(await runtime!.kill9()).toMatchObject({ signal: 'SIGKILL' });
    await start('first');
    await send(lines.slice(300));
    const health = await settled();
    originalStored = health.counters.stored;
    expect(originalStored).toBeGreaterThan(400);
    original = await tables();
    expect((original['all'] as unknown[]).length).toBeGreaterThan(10);
    await stop();
    to = new Date(Date.now() + 60_000).toISOString();

    // Every accepted event is in a Capture file, once: no loss at the kill, no second copy after it.
    const container = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString }).getContainerClient('capture');
    const sequences = new Set<string>();
    let captured = 0;
    for await (const blob of container.listBlobsFlat({
      prefix: `${LOCAL_CAPTURE_LOCATION.namespace}/${LOCAL_CAPTURE_LOCATION.eventHub}/`,
    })) {
      const partition = blob.name.split('/')[2];
      for (const event of (await decodeCaptureFile(await container.getBlobClient(blob.name).downloadToBuffer())).events) {
        sequences.add(`${partition}/${event.sequenceNumber}`);
        captured += 1;
      }
    }
    expect(captured).toBe(health.counters.accepted);
    expect(sequences.size).toBe(captured);
  });

  it('rebuilds the same top-X in a new runtime with an empty data directory', async () => {
    await start('second');
    expect(await request('/api/top-items?top=20&window=all')).toMatchObject({ status: 200, body: [] });

    const report = await replayViaApi(from, to);
    expect(report.totals.failed).toBe(0);
    expect(report.totals.replayed).toBe(originalStored);
    await settled();
    expect(await tables()).toEqual(original);
  });

  it('changes nothing when the same range is replayed again (here with npm run replay)', async () => {
    const tool = silentIo();
    const code = await replayTool(['--from', from, '--to', to, '--target', runtime!.url, '--poll', '0.1', '--json'], tool.io);
    expect(tool.errors()).toContain('started');
    expect(code).toBe(0);
    const report = JSON.parse(tool.output()) as ReplayReport;
    expect(report.totals.replayed).toBe(0);
    expect(report.totals.duplicates).toBeGreaterThan(0);
    await settled();
    expect(await tables()).toEqual(original);
    expect((await request<Health>('/api/health')).body.counters.stored).toBe(originalStored);
  });

  it('reports a corrupt Capture file in the range and replays the rest', async () => {
    const container = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString }).getContainerClient('capture');
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'local/detections/' })) names.push(blob.name);
    const victim = names[0]!;
    const bytes = await container.getBlobClient(victim).downloadToBuffer();
    await container.getBlockBlobClient(victim).uploadData(bytes.subarray(0, bytes.length - 20));

    const tool = silentIo();
    const code = await replayTool(['--from', from, '--to', to, '--target', runtime!.url, '--poll', '0.1'], tool.io);
    expect(code).toBe(3);
    expect(tool.output()).toContain(`${victim}: corrupt capture file: truncated`);
    const report = await replayViaApi(from, to);
    expect(report.totals).toMatchObject({ blobs: names.length, failed: 1, replayed: 0 });
    expect(report.blobs.filter((blob) => blob.status === 'replayed')).toHaveLength(names.length - 1);
    expect(await tables()).toEqual(original);
  });

  it('keeps the first copy when a later Capture file of the same partition holds a conflicting one', async () => {
    // The early file is long and the late one holds a single event: replayed side by side, the late
    // file would finish first and its conflicting copy would take the id. One partition is one lane.
    const startMs = Date.now() - 30 * 60_000;
    const line = (oid: number, item: string) =>
      Buffer.from(
        `{"geographical_location_oid":1,"video_camera_oid":1,"detection_oid":${oid},"item_name":"${item}","timestamp_detected":${startMs}}`,
      );
    const upload = async (atMs: number, bodies: Buffer[]) => {
      const events = bodies.map((body, index) => ({ sequenceNumber: String(index), enqueuedMs: atMs + index, body }));
      const file = await buildCaptureFile(LOCAL_CAPTURE_LOCATION, '0', CaptureWindow.of(atMs, events));
      const container = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString }).getContainerClient(
        'capture',
      );
      await container.getBlockBlobClient(file.name).uploadData(file.bytes);
    };
    await upload(
      startMs,
      Array.from({ length: 4000 }, (_, index) => line(7_000_000_000 + index, 'tram')),
    );
    await upload(startMs + 60_000, [line(7_000_000_000 + 3999, 'conflicting copy')]);
    await stop();
    await start('fourth');
    const report = await replayViaApi(new Date(startMs - 1000).toISOString(), new Date(startMs + 120_000).toISOString());
    expect(report.totals).toMatchObject({ blobs: 2, failed: 0, replayed: 4000 });
    await settled();
    const rows = (await request<{ item_name: string; item_count: number }[]>('/api/top-items?location=1&window=all')).body;
    expect(rows.map((row) => [row.item_name, row.item_count])).toEqual([['tram', 4000]]);
  });

  it('refuses a range past the dedup horizon, saying where it is', async () => {
    const tooOld = new Date(Date.now() - 2 * HOUR).toISOString();
    const answer = await request<{ error: string; earliestFrom: string }>('/api/replay', {
      method: 'POST',
      body: JSON.stringify({ from: tooOld, to: new Date().toISOString() }),
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toContain('past the dedup horizon');
    expect(Date.parse(answer.body.earliestFrom)).toBeGreaterThan(Date.now() - HOUR);

    const tool = silentIo();
    expect(await replayTool(['--from', tooOld, '--to', new Date().toISOString(), '--target', runtime!.url], tool.io)).toBe(2);
    expect(tool.errors()).toContain('replay refused');
  });
});
