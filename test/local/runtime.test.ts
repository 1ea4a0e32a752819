/**
 * The local runtime over HTTP, as a child process: the real handlers behind the routes, exact top
 * items (ids above 2^53 included), the health counters, client errors, the dashboard, the SSE stream,
 * dead letters in Azurite, and a clean SIGTERM.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { azuriteConnectionString, startAzurite } from '../../local/azurite';

import { getJson, type Health, postEvents, runTestRuntimeToExit, startTestRuntime, waitForIdle } from '../support/runtime';
import { removeDataDir, type RuntimeProcess, tempDataDir } from '../../tools/lib/runtime';

jest.setTimeout(120_000);

const MAX_BODY_BYTES = 64 * 1024;
const T10 = Date.UTC(2026, 10, 22, 10, 15);
const T09 = Date.UTC(2026, 10, 22, 9, 40);

interface Row {
  geographical_location_oid: string;
  geographical_location: string | null;
  item_rank: number;
  item_name: string;
  item_count: number;
  window: string;
}

const event = (detection: string | number, location: string | number, item: string, timestamp = T10, camera = 5): string =>
  // Built as text so that ids above 2^53 reach the runtime as exact JSON integers.
  `{"geographical_location_oid":${location},"video_camera_oid":${camera},"detection_oid":${detection},"item_name":${JSON.stringify(item)},"timestamp_detected":${timestamp}}`;

// Asymmetric matchers are typed `any`; these give them the type they stand for.
const containing = (text: string): string => expect.stringContaining(text) as string;
const matching = (pattern: RegExp): string => expect.stringMatching(pattern) as string;

const table = (rows: Row[]): [string, string | null, number, string, number][] =>
  rows.map((row) => [row.geographical_location_oid, row.geographical_location, row.item_rank, row.item_name, row.item_count]);

let runtime: RuntimeProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDataDir();
  runtime = await startTestRuntime({ dataDir, env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES), INGEST_BATCH_SIZE: '3' } });
});

afterAll(async () => {
  await runtime?.kill9();
  removeDataDir(dataDir);
});

describe('the local runtime over HTTP', () => {
  it('counts posted events exactly, with Dataset B names, per window', async () => {
    const first = [
      event(1001, 1, 'car', T10, 1),
      event(1002, 1, 'car', T10, 2),
      event(1003, 1, 'car', T10, 3),
      event(1004, 1, 'bus', T10, 4),
      event(1005, 1, 'bus', T10, 5),
      event(1006, 1, 'bike', T10, 6),
      event(1007, 1, 'bike', T10, 7),
      // Two detections whose ids a double would merge, at a location whose oid it would round.
      event('9007199254740993', '9007199254740993', 'tram', T10, 8),
      event('9007199254740992', '9007199254740993', 'tram', T10, 9),
      event(2001, 999, 'van', T10, 10),
      // Late: counted in its own hour.
      event(1008, 1, 'car', T09, 11),
    ];
    const response = await postEvents(runtime.url, `[${first.join(',')}]`);
    expect(response).toEqual({ status: 202, json: { accepted: 11, rejected: 0, errors: [] } });
    await waitForIdle(runtime.url, (health) => health.counters.stored === 11);

    expect(table(await getJson<Row[]>(`${runtime.url}/api/top-items?top=10`))).toEqual([
      ['1', 'Market Square', 1, 'car', 4],
      // Ties break by name: bike before bus.
      ['1', 'Market Square', 2, 'bike', 2],
      ['1', 'Market Square', 3, 'bus', 2],
      ['999', null, 1, 'van', 1],
      ['9007199254740993', 'Ring Road Interchange', 1, 'tram', 2],
    ]);
    expect(table(await getJson<Row[]>(`${runtime.url}/api/top-items?location=1&top=2&window=hour:2026-11-22T10`))).toEqual([
      ['1', 'Market Square', 1, 'car', 3],
      ['1', 'Market Square', 2, 'bike', 2],
    ]);
    expect(table(await getJson<Row[]>(`${runtime.url}/api/top-items?location=1&window=hour:2026-11-22T09`))).toEqual([
      ['1', 'Market Square', 1, 'car', 1],
    ]);
  });

  it('counts duplicates, conflicts, invalid events and unknown locations in /api/health', async () => {
    const second = [
      event(1001, 1, 'car', T10, 1), // the same detection again
      event(1002, 1, 'lorry', T10, 2), // the same id with other facts: a conflict, the first copy stays
      event(1009, 1, 'bus', T10, 3).replace('}', ',"extra":"ignored"}'),
      event(1010, 1, '', T10, 3), // invalid: empty item name
      '{"not json',
    ].join('\n');
    const response = await postEvents(runtime.url, second);
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ accepted: 3, rejected: 2 });

    const health = await waitForIdle(runtime.url, (current) => current.counters.stored === 12 && current.counters.duplicates === 2);
    expect(health).toMatchObject({
      status: 'ready',
      host: 'local',
      locations: 51,
      counters: { accepted: 14, stored: 12, duplicates: 2, conflicts: 1, invalid: 2, unknown_location: 1 },
      backlog: { events: 0, changes: 0 },
    });
    // The store requests a Cosmos DB deployment would make for the same work, by operation: one
    // create per distinct detection, a 409 and a read of the stored copy per duplicate.
    expect((health as unknown as { operations: Record<string, number> }).operations).toMatchObject({
      dedup_create: 12,
      dedup_conflict: 2,
      conflict_read: 2,
      tally_append: expect.any(Number) as number,
      counter_commit: expect.any(Number) as number,
    });
    expect(table(await getJson<Row[]>(`${runtime.url}/api/top-items?location=1`))).toEqual([
      ['1', 'Market Square', 1, 'car', 4],
      ['1', 'Market Square', 2, 'bus', 3],
      ['1', 'Market Square', 3, 'bike', 2],
    ]);
  });

  it('keeps rejected events with their reasons in the dead-letter container of its Azurite', async () => {
    const service = BlobServiceClient.fromConnectionString(azuriteConnectionString(runtime.info.blobEndpoint));
    const container = service.getContainerClient('deadletter');
    const letters: { reason: string; raw: string }[] = [];
    for await (const blob of container.listBlobsFlat()) {
      const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      for (const line of text.split('\n').filter(Boolean)) letters.push(JSON.parse(line) as { reason: string; raw: string });
    }
    expect(letters.map((letter) => letter.reason).sort()).toEqual([matching(/^item_name: must not be empty/), matching(/^malformed JSON/)]);
  });

  it('answers bad bodies with a 4xx and a reason, never a 5xx', async () => {
    const notJson = await postEvents(runtime.url, 'hello');
    expect(notJson.status).toBe(400);
    expect(notJson.json).toEqual({ error: containing('not JSON') });

    const brokenArray = await postEvents(runtime.url, '[{"detection_oid":1},');
    expect(brokenArray.status).toBe(400);

    const empty = await postEvents(runtime.url, '');
    expect(empty.status).toBe(400);

    const tooLarge = await postEvents(
      runtime.url,
      `[${Array.from({ length: 1000 }, (_, index) => event(50_000 + index, 1, 'x'.repeat(60))).join(',')}]`,
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toEqual({ error: containing(String(MAX_BODY_BYTES)) });

    const badQuery = await fetch(`${runtime.url}/api/top-items?top=0`);
    expect(badQuery.status).toBe(400);

    // None of it was counted.
    expect((await getJson<Health>(`${runtime.url}/api/health`)).counters.accepted).toBe(14);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as JSON', async () => {
    const unknown = await fetch(`${runtime.url}/api/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no route for GET /api/nothing-here' });

    const wrongMethod = await fetch(`${runtime.url}/api/events`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('serves Dataset B with exact oids', async () => {
    const locations = await getJson<{ geographical_location_oid: string; geographical_location: string }[]>(`${runtime.url}/api/locations`);
    expect(locations).toHaveLength(51);
    expect(locations[0]).toEqual({ geographical_location_oid: '1', geographical_location: 'Market Square' });
    expect(locations[50]).toEqual({ geographical_location_oid: '9007199254740993', geographical_location: 'Ring Road Interchange' });
  });

  it('serves the dashboard at / from the repository, and nothing outside it', async () => {
    const page = await fetch(`${runtime.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<html');

    const script = await fetch(`${runtime.url}/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');

    expect((await fetch(`${runtime.url}/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it('streams the health JSON over SSE, and again when it changes', async () => {
    const abort = new AbortController();
    const response = await fetch(`${runtime.url}/api/stream`, { signal: abort.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    const nextStats = async (): Promise<Health> => {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const message = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const lines = message.split('\n');
          if (lines[0] === 'event: stats') return JSON.parse(lines[1]!.slice('data: '.length)) as Health;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    };
    try {
      const first = await nextStats();
      const { checkedAt: _checkedAt, ...health } = await getJson<Health>(`${runtime.url}/api/health`);
      expect(first).toMatchObject(health);

      expect((await postEvents(runtime.url, `[${event(3001, 2, 'scooter')}]`)).status).toBe(202);
      let latest = first;
      while (latest.counters.stored < 13) latest = await nextStats();
      expect(latest.counters).toMatchObject({ accepted: 15, stored: 13 });
    } finally {
      abort.abort();
    }
  });

  it('refuses a second runtime on the same data directory, naming the first', async () => {
    const second = await runTestRuntimeToExit({ dataDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`another local runtime (pid ${runtime.info.pid}) is using this DATA_DIR`);
    // The first one is unharmed.
    expect((await fetch(`${runtime.url}/api/health`)).status).toBe(200);
  });

  it('stops on SIGTERM within 10 s, taking its Azurite along and releasing the data directory', async () => {
    const azuritePid = runtime.info.azuritePid;
    expect(typeof azuritePid).toBe('number');
    const started = Date.now();
    const exit = await runtime.stop('SIGTERM');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect({ ...exit, output: runtime.output() }).toEqual({ code: 0, signal: null, output: containing('stopped') });
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'runtime.lock'))).toBe(false);
    expect(() => process.kill(azuritePid!, 0)).toThrow();

    // What was counted is still there after a restart on the same data.
    runtime = await startTestRuntime({ dataDir });
    const health = await waitForIdle(runtime.url);
    expect(health.counters).toMatchObject({ accepted: 15, stored: 13, duplicates: 2, conflicts: 1, invalid: 2, unknown_location: 1 });
    expect(table(await getJson<Row[]>(`${runtime.url}/api/top-items?location=2`))).toEqual([['2', 'Station Road', 1, 'scooter', 1]]);
  });
});

describe('with STORAGE_CONNECTION', () => {
  it('starts no Azurite of its own and keeps Dataset B and dead letters in the given storage', async () => {
    const workspace = tempDataDir();
    const external = await startAzurite({ location: join(workspace, 'external-azurite') });
    let own: RuntimeProcess | undefined;
    try {
      own = await startTestRuntime({ dataDir: join(workspace, 'data'), env: { STORAGE_CONNECTION: external.connectionString } });
      expect(own.info.azuritePid).toBeNull();
      expect(own.info.blobEndpoint).toBe(external.blobEndpoint);
      expect(existsSync(join(workspace, 'data', 'azurite'))).toBe(false);

      const service = BlobServiceClient.fromConnectionString(external.connectionString);
      expect((await service.getContainerClient('reference').getBlobClient('locations.csv').downloadToBuffer()).toString()).toContain(
        'Ring Road Interchange',
      );
      expect((await postEvents(own.url, `[${event(4001, 1, '')}]`)).status).toBe(202);
      const names: string[] = [];
      for await (const blob of service.getContainerClient('deadletter').listBlobsFlat()) names.push(blob.name);
      expect(names).toHaveLength(1);
    } finally {
      await own?.stop();
      await external.stop();
      removeDataDir(workspace);
    }
  });
});

describe('startup failures', () => {
  it('exits 1 naming a duplicate oid in Dataset B', async () => {
    const workspace = tempDataDir();
    try {
      const dataset = join(workspace, 'locations.csv');
      writeFileSync(
        dataset,
        'geographical_location_oid,geographical_location\n7,North Gate\n9007199254740993,Ring Road\n9007199254740993,Ring Road again\n',
      );
      // The running runtime's Azurite, with a container of its own, spares this one starting an Azurite.
      const storage = {
        STORAGE_CONNECTION: azuriteConnectionString(runtime.info.blobEndpoint),
        REFERENCE_CONTAINER: 'reference-duplicate-oid',
      };
      const result = await runTestRuntimeToExit({ dataDir: join(workspace, 'data'), env: { ...storage, DATASET_B_PATH: dataset } });
      expect(result.code).toBe(1);
      expect(result.output).toContain('startup failed');
      expect(result.output).toContain('9007199254740993');
    } finally {
      removeDataDir(workspace);
    }
  });

  it('exits 1 naming a malformed setting', async () => {
    const workspace = tempDataDir();
    try {
      const result = await runTestRuntimeToExit({ dataDir: workspace, env: { PARTITIONS: 'many' } });
      expect(result.code).toBe(1);
      expect(result.output).toContain('PARTITIONS must be a whole number from 1 to 256, got "many"');
    } finally {
      removeDataDir(workspace);
    }
  });
});
