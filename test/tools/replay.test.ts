import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../tools/lib/cli';
import { flatJson, main, parseReplayArgs } from '../../tools/replay';

let dir: string;
let server: Server;
let baseUrl: string;
let handler: (request: IncomingMessage, body: string, response: ServerResponse) => void;
const requests: { method: string; path: string; body: string; key: string | undefined }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'replay-tool-'));
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body,
        key: request.headers['x-functions-key'] as string | undefined,
      });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
});

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function io(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  (stderr as unknown as PassThrough).on('data', (chunk: Buffer) => err.push(chunk.toString()));
  return { io: { stdout, stderr, env, sleep: () => Promise.resolve() }, out: () => out.join(''), err: () => err.join('') };
}

describe('parseReplayArgs', () => {
  it('reads a range, or a file', () => {
    expect(parseReplayArgs(['--from', '2026-11-22T10:00:00Z', '--to', '2026-11-22T11:00', '--target', 'http://x:1'], {})).toMatchObject({
      mode: 'range',
      from: '2026-11-22T10:00:00Z',
      to: '2026-11-22T11:00',
      pollMs: 1000,
    });
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, '');
    expect(parseReplayArgs(['--file', file], { PORT: '7099' })).toMatchObject({
      mode: 'file',
      file,
      batch: 2000,
      target: new URL('http://127.0.0.1:7099'),
    });
    expect(parseReplayArgs(['--help'], {})).toBeNull();
  });

  it.each([
    [['--from', '2026-11-22T10:00:00Z'], /give --from and --to/],
    [['--from', 'noon', '--to', '2026-11-22T11:00:00Z'], /--from must be an ISO 8601 time/],
    [['--file', '/no/such/file.jsonl'], /no such file/],
    [['--from', '2026-11-22T10:00:00Z', '--to', '2026-11-22T11:00:00Z', '--target', 'ftp://x'], /http\(s\) URL/],
    [['--frm', 'x'], /frm/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseReplayArgs(argv, {})).toThrow(UsageError);
    expect(() => parseReplayArgs(argv, {})).toThrow(message);
  });
});

describe('replaying a range', () => {
  const report = {
    from: '2026-11-22T10:00:00.000Z',
    to: '2026-11-22T11:00:00.000Z',
    totals: { blobs: 2, events: 7, replayed: 4, duplicates: 2, invalid: 1, failed: 1 },
    blobs: [
      {
        blob: 'ns/detections/0/2026/11/22/10/00/00.avro',
        status: 'replayed',
        events: 7,
        replayed: 4,
        duplicates: 2,
        invalid: 1,
        conflicts: 0,
        unknownLocation: 0,
      },
      {
        blob: 'ns/detections/1/2026/11/22/10/00/00.avro',
        status: 'failed',
        events: 0,
        replayed: 0,
        duplicates: 0,
        invalid: 0,
        conflicts: 0,
        unknownLocation: 0,
        reason: 'corrupt capture file: truncated',
      },
    ],
  };

  it('starts the replay, follows the Durable Functions status URL to the end, and lists failed blobs (exit 3)', async () => {
    let polls = 0;
    handler = (request, _body, response) => {
      if (request.method === 'POST')
        return json(response, 202, { id: 'abc', statusQueryGetUri: `${baseUrl}/runtime/webhooks/durabletask/instances/abc?code=sys` });
      polls += 1;
      if (polls === 1) return json(response, 202, { runtimeStatus: 'Pending', customStatus: null });
      if (polls === 2)
        return json(response, 202, { runtimeStatus: 'Running', customStatus: { blobsTotal: 2, blobsDone: 1, totals: report.totals } });
      return json(response, 200, {
        runtimeStatus: 'Completed',
        customStatus: { blobsTotal: 2, blobsDone: 2, totals: report.totals, eventsPerSecond: 12_345 },
        output: report,
      });
    };
    const run = io({ FUNCTIONS_KEY: 'k1' });
    const code = await main(['--from', report.from, '--to', report.to, '--target', baseUrl], run.io);
    expect(code).toBe(3);
    expect(requests[0]).toEqual({
      method: 'POST',
      path: '/api/replay',
      body: JSON.stringify({ from: report.from, to: report.to }),
      key: 'k1',
    });
    expect(requests.slice(1).map((r) => r.path)).toEqual(Array(3).fill('/runtime/webhooks/durabletask/instances/abc?code=sys'));
    expect(run.out()).toMatch(/replayed \(new\)\s+4/);
    expect(run.out()).toContain('ns/detections/1/2026/11/22/10/00/00.avro: corrupt capture file: truncated');
    // The progress line (a bar on a terminal) shows the blobs, the events read and their rate.
    expect(run.err()).toMatch(/2\/2 blobs, events \d+, rate 12,345\/s, replayed 4/);
  });

  it('exits 0 when every blob was replayed', async () => {
    const clean = { ...report, totals: { ...report.totals, failed: 0 }, blobs: [report.blobs[0]] };
    handler = (request, _body, response) =>
      request.method === 'POST'
        ? json(response, 202, { id: 'x', statusQueryGetUri: `${baseUrl}/api/replay/x` })
        : json(response, 200, { runtimeStatus: 'Completed', output: clean });
    expect(await main(['--from', report.from, '--to', report.to, '--target', baseUrl], io().io)).toBe(0);
  });

  it('exits 2 with the reason when the target refuses the range', async () => {
    handler = (_request, _body, response) => json(response, 409, { error: 'replay refused: from … is past the dedup horizon' });
    const run = io();
    expect(await main(['--from', report.from, '--to', report.to, '--target', baseUrl], run.io)).toBe(2);
    expect(run.err()).toContain('past the dedup horizon');
  });

  it('exits 1 when the replay fails', async () => {
    handler = (request, _body, response) =>
      request.method === 'POST'
        ? json(response, 202, { id: 'x', statusQueryGetUri: `${baseUrl}/api/replay/x` })
        : json(response, 200, { runtimeStatus: 'Failed', output: { error: 'storage unreachable' } });
    const run = io();
    expect(await main(['--from', report.from, '--to', report.to, '--target', baseUrl], run.io)).toBe(1);
    expect(run.err()).toContain('storage unreachable');
  });

  it('exits 1 naming the target when nothing listens there', async () => {
    const run = io();
    expect(await main(['--from', report.from, '--to', report.to, '--target', 'http://127.0.0.1:9'], run.io)).toBe(1);
    expect(run.err()).toContain('cannot reach http://127.0.0.1:9');
  });
});

describe('backfilling a Dataset A file', () => {
  const accept = () => {
    handler = (_request, body, response) => {
      const lines = body.trim().split('\n');
      const errors = lines.flatMap((line, index) =>
        line.includes('"item_name":""') ? [{ index, reason: 'item_name: must not be empty' }] : [],
      );
      json(response, 202, { accepted: lines.length - errors.length, rejected: errors.length, errors });
    };
  };

  it('sends a JSON Lines file as NDJSON batches, untouched, and sums the answers', async () => {
    accept();
    const lines = Array.from(
      { length: 5 },
      (_, index) =>
        `{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":900719925474099${index},"item_name":"${index === 3 ? '' : 'car'}","timestamp_detected":1}`,
    );
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n\n`);
    const run = io();
    expect(await main(['--file', file, '--batch', '2', '--target', baseUrl, '--json'], run.io)).toBe(3);
    expect(requests.map((r) => r.path)).toEqual(['/api/events', '/api/events', '/api/events']);
    expect(requests.map((r) => r.body).join('')).toBe(`${lines.slice(0, 2).join('\n')}\n${lines.slice(2, 4).join('\n')}\n${lines[4]}\n`);
    expect(JSON.parse(run.out())).toMatchObject({ sent: 5, accepted: 4, rejected: 1, reasons: ['event 3: item_name: must not be empty'] });
  });

  it('sends a Parquet file with its INT64 ids digit for digit', async () => {
    accept();
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const file = join(dir, 'events.parquet');
    writeFileSync(
      file,
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'geographical_location_oid', data: [1n, 2n], type: 'INT64' },
            { name: 'video_camera_oid', data: [10n, 11n], type: 'INT64' },
            { name: 'detection_oid', data: [9007199254740993n, 9223372036854775807n], type: 'INT64' },
            { name: 'item_name', data: ['bus', 'car'], type: 'STRING' },
            { name: 'timestamp_detected', data: [1795341600000n, 1795341600001n], type: 'INT64' },
          ],
        }),
      ),
    );
    expect(await main(['--file', file, '--target', baseUrl], io().io)).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body.trim().split('\n')).toEqual([
      '{"geographical_location_oid":1,"video_camera_oid":10,"detection_oid":9007199254740993,"item_name":"bus","timestamp_detected":1795341600000}',
      '{"geographical_location_oid":2,"video_camera_oid":11,"detection_oid":9223372036854775807,"item_name":"car","timestamp_detected":1795341600001}',
    ]);
  });

  it('writes rows as flat JSON: bigint as digits, dates as epoch ms', () => {
    expect(flatJson({ a: 12345678901234567890n, b: new Date(5), c: 'x"y', d: null, e: { f: 1n } })).toBe(
      '{"a":12345678901234567890,"b":5,"c":"x\\"y","d":null,"e":{"f":"1"}}',
    );
  });
});
