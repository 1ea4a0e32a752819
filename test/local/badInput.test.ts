/**
 * The bad-input corpus against the real local runtime over HTTP: never a 5xx, the right status or
 * per-row reasons, every rejected row in the dead-letter container, no stalled partition (good events
 * sent after the bad ones are counted), the health counters add up (accepted = stored + duplicates +
 * backlog), and every item name is served back exactly. Also checks that the runtime listens on
 * loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { azuriteConnectionString } from '../../local/azurite';
import type { DeadLetter } from '../../shared/ports';
import {
  bodyBytes,
  casesFor,
  contextFor,
  CORPUS_HOUR,
  corpusLocationsCsv,
  CORPUS_LOCATIONS,
  itemsOf,
  type PerRow,
  storedOf,
} from '../fixtures/bad-input/corpus';
import { getJson, type Health, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';

jest.setTimeout(300_000);

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const NAMES = new Map(CORPUS_LOCATIONS.map(({ oid, name }) => [oid, name]));

interface Row {
  geographical_location_oid: string;
  geographical_location: string | null;
  item_name: string;
  item_count: number;
}

let dataDir: string;
let runtime: RuntimeProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bad-input-runtime-'));
  const datasetB = join(dataDir, 'locations.csv');
  writeFileSync(datasetB, corpusLocationsCsv());
  runtime = await startTestRuntime({
    dataDir: join(dataDir, 'data'),
    env: { DATASET_B_PATH: datasetB, MAX_BODY_BYTES: String(MAX_BODY_BYTES), PARTITIONS: '4', HOST: '' },
  });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('exposure', () => {
  it('listens on 127.0.0.1 by default, and not on the machine’s other addresses', async () => {
    const url = new URL(runtime.url);
    expect(url.hostname).toBe('127.0.0.1');
    const port = Number(url.port);
    expect(await canConnect('127.0.0.1', port)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal)
      .map((address) => address?.address as string);
    for (const address of external) expect(await canConnect(address, port)).toBe(false);
  });
});

describe('the bad-input corpus over HTTP', () => {
  const expected = { accepted: 0, invalid: 0, stored: 0, duplicates: 0, conflicts: 0, unknown_location: 0 };
  const tables = new Map<string, Map<string, number>>();
  const hourTotals = new Map<string, number>();
  const rejectedRows: { index: number; field: string | null; reason: RegExp | undefined; requestKind: string }[] = [];

  const addItems = (location: string, items: Readonly<Record<string, number>>): void => {
    let table = tables.get(location);
    if (!table) tables.set(location, (table = new Map<string, number>()));
    for (const [name, count] of Object.entries(items)) table.set(name, (table.get(name) ?? 0) + count);
  };

  it.each(casesFor('http').map((testCase) => [testCase.kind, testCase] as const))('%s', async (_kind, testCase) => {
    const request = testCase.build(contextFor(testCase, MAX_BODY_BYTES));
    const headers: Record<string, string> = {};
    if (request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
    const response = await fetch(`${runtime.url}/api/events`, { method: 'POST', headers, body: bodyBytes(request) });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    const body = JSON.parse(text) as { error?: string; accepted?: number; rejected?: number; errors?: { index: number; reason: string }[] };
    const outcome = testCase.expect;

    if (outcome.outcome === 'refused') {
      expect(response.status).toBe(outcome.status);
      expect(body.error).toMatch(outcome.reason);
      return;
    }
    expect(response.status).toBe(202);
    const rejectedCount = outcome.rejectedCount ?? outcome.rejected.length;
    expect(body.accepted).toBe(outcome.accepted);
    expect(body.rejected).toBe(rejectedCount);
    expect(body.errors).toHaveLength(Math.min(100, rejectedCount));
    for (const row of outcome.rejected) {
      rejectedRows.push({ index: row.index, field: row.field, reason: row.reason, requestKind: testCase.kind });
      // The answer lists the first 100 rejections; the dead-letter check below covers the rest.
      const reason = body.errors?.find((error) => error.index === row.index)?.reason;
      if (reason === undefined && rejectedCount > 100) continue;
      if (row.field !== null) expect(reason?.startsWith(`${row.field}: `)).toBe(true);
      if (row.reason) expect(reason).toMatch(row.reason);
    }
    record(outcome, testCase.kind);
    addItems(outcome.location ?? '1', itemsOf(testCase));
    const stored = storedOf(outcome);
    for (const [hour, count] of Object.entries(outcome.hours ?? (stored > 0 ? { [CORPUS_HOUR]: stored } : {}))) {
      hourTotals.set(hour, (hourTotals.get(hour) ?? 0) + count);
    }
  });

  function record(outcome: PerRow, _kind: string): void {
    expected.accepted += outcome.accepted;
    expected.invalid += outcome.rejectedCount ?? outcome.rejected.length;
    expected.stored += storedOf(outcome);
    expected.duplicates += outcome.duplicates ?? 0;
    expected.conflicts += outcome.conflicts ?? 0;
    expected.unknown_location += outcome.unknownLocation ?? 0;
  }

  it('has no stalled partition: good events sent after the bad ones are all counted', async () => {
    // Forty cameras spread over every partition of the log.
    const good = Array.from({ length: 40 }, (_, n) => ({
      geographical_location_oid: '2',
      video_camera_oid: String(5000 + n),
      detection_oid: String(990_000_000 + n),
      item_name: 'after the bad input',
      timestamp_detected: Date.UTC(2026, 10, 22, 10, 15),
    }));
    const response = await fetch(`${runtime.url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(good),
    });
    expect(response.status).toBe(202);
    expected.accepted += good.length;
    expected.stored += good.length;
    addItems('2', { 'after the bad input': good.length });
    hourTotals.set(CORPUS_HOUR, (hourTotals.get(CORPUS_HOUR) ?? 0) + good.length);

    const health = await waitForDrain(runtime.url);
    expect(health.counters).toEqual(expected);
    expect(health.counters.accepted).toBe(health.counters.stored + health.counters.duplicates + (health.backlog.events ?? 0));
  });

  it('serves every location’s table exactly, item names byte for byte, with the Dataset B names', async () => {
    const rows = await getJson<Row[]>(`${runtime.url}/api/top-items?window=all&top=1000`);
    const served = new Map<string, Map<string, number>>();
    for (const row of rows) {
      let table = served.get(row.geographical_location_oid);
      if (!table) served.set(row.geographical_location_oid, (table = new Map<string, number>()));
      table.set(row.item_name, row.item_count);
      expect(row.geographical_location).toBe(NAMES.get(row.geographical_location_oid) ?? null);
    }
    const asObject = (map: Map<string, Map<string, number>>): Record<string, Record<string, number>> =>
      Object.fromEntries(
        [...map].map(([location, table]) => [location, Object.fromEntries([...table].sort(([a], [b]) => (a < b ? -1 : 1)))]),
      );
    expect(asObject(served)).toEqual(asObject(tables));
  });

  it('counts each detection in its event-time hour', async () => {
    for (const [hour, total] of hourTotals) {
      const rows = await getJson<Row[]>(`${runtime.url}/api/top-items?window=hour:${hour}&top=1000`);
      expect(rows.reduce((sum, row) => sum + row.item_count, 0)).toBe(total);
    }
  });

  it('keeps every rejected row in the dead-letter container with its reason', async () => {
    const service = BlobServiceClient.fromConnectionString(azuriteConnectionString(runtime.info.blobEndpoint));
    const container = service.getContainerClient('deadletter');
    const letters: DeadLetter[] = [];
    for await (const blob of container.listBlobsFlat()) {
      const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      for (const line of text.split('\n')) if (line.trim() !== '') letters.push(JSON.parse(line) as DeadLetter);
    }
    const health = await getJson<Health>(`${runtime.url}/api/health`);
    expect(letters).toHaveLength(health.counters.invalid);
    for (const row of rejectedRows) {
      const found = letters.some(
        (letter) =>
          letter.index === row.index &&
          (row.field === null || letter.reason.startsWith(`${row.field}: `)) &&
          (row.reason === undefined || row.reason.test(letter.reason)),
      );
      expect({ kind: row.requestKind, index: row.index, found }).toEqual({ kind: row.requestKind, index: row.index, found: true });
    }
  });
});
