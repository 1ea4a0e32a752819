import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateEvent } from '../../shared/domain/detection';
import { PACKED_BODY_BYTES } from '../../shared/domain/packing';
import { parseEventRows } from '../../shared/domain/json';
import { UsageError } from '../../tools/lib/cli';
import type { GeneratedEvent } from '../../tools/lib/generator';
import {
  type BatchLike,
  eventHubsConnectionFrom,
  groupByPartitionKey,
  main,
  NO_PARTITION_KEY,
  parseSimulateArgs,
  type ProducerLike,
  SIMULATE_OPTIONS,
  sendByPartitionKey,
  type SimulationSummary,
} from '../../tools/simulate';
import { freePort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(TSX, ['tools/simulate.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

/** Collects what main() writes. */
function collector(): NodeJS.WriteStream & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { text: () => text }) as unknown as NodeJS.WriteStream & { text: () => string };
}

interface Stub {
  readonly url: string;
  readonly requests: { method: string; path: string; events: number }[];
  /** Every event row received, as the lossless parser reads it. */
  readonly rows: unknown[];
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A stand-in for the runtime: validates rows like POST /api/events and answers 202 with the counts. */
async function startStub(answer?: (requestNumber: number) => { status: number; body: string } | undefined): Promise<Stub> {
  const requests: Stub['requests'] = [];
  const rows: unknown[] = [];
  const sockets = new Set<Socket>();
  let posts = 0;
  const server = http.createServer((request, response) => {
    sockets.add(request.socket);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      if (request.method === 'GET' && path === '/api/health') {
        requests.push({ method: 'GET', path, events: 0 });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
        return;
      }
      posts += 1;
      const forced = answer?.(posts);
      if (forced) {
        requests.push({ method: 'POST', path, events: -1 });
        response.writeHead(forced.status, { 'content-type': 'application/json' }).end(forced.body);
        return;
      }
      const parsed = parseEventRows(Buffer.concat(chunks).toString('utf8'));
      requests.push({ method: request.method ?? '', path, events: parsed.length });
      const errors: { index: number; reason: string }[] = [];
      for (const row of parsed) {
        const value = 'value' in row ? row.value : undefined;
        rows.push(value);
        const result = validateEvent(value);
        if (!result.ok) errors.push({ index: row.index, reason: result.reason });
      }
      response
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: parsed.length - errors.length, rejected: errors.length, errors }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rows,
    sockets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An independent recount of what the stub received: valid rows, and distinct detection oids among them. */
function recount(rows: readonly unknown[]) {
  const detections = new Set<string>();
  let valid = 0;
  for (const row of rows) {
    const result = validateEvent(row);
    if (!result.ok) continue;
    valid += 1;
    detections.add(result.detection.detectionOid);
  }
  return { valid, invalid: rows.length - valid, distinct: detections.size };
}

describe('simulate CLI', () => {
  it('explains every option under --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run simulate -- \[options\]/);
    for (const option of SIMULATE_OPTIONS) expect(stdout).toMatch(new RegExp(`--${option.name}\\b.*\\S{3,}`));
    expect(stdout).toContain('EVENTHUB_NAMESPACE');
    expect(stdout).toContain('EVENTHUB_CONNECTION_STRING');
  });

  it('sends rate x duration events to the target, paced in batches over keep-alive, and sums up truthfully', async () => {
    const stub = await startStub();
    try {
      const args = ['--target', stub.url, '--rate', '3000', '--duration', '1', '--batch', '200', '--concurrency', '3', '--seed', '9'];
      const { code, stdout, stderr } = await runCli([...args, '--duplicates', '0.1', '--invalid', '0.02', '--large-ids', '0.3', '--json']);
      expect(code).toBe(0);
      expect(stderr).toContain('3,000/3,000 events');
      const summary = JSON.parse(stdout) as SimulationSummary;
      const posts = stub.requests.filter((request) => request.method === 'POST');

      expect(stub.requests[0]).toMatchObject({ method: 'GET', path: '/api/health' });
      expect(posts.every((request) => request.path === '/api/events' && request.events >= 1 && request.events <= 200)).toBe(true);
      expect(stub.rows).toHaveLength(3000);
      expect(stub.sockets.size).toBeLessThanOrEqual(3);
      expect(stub.sockets.size).toBeLessThan(posts.length);

      const received = recount(stub.rows);
      expect(summary).toMatchObject({
        sent: 3000,
        accepted: received.valid,
        rejected: received.invalid,
        errors: 0,
        requests: posts.length,
        seed: 9,
      });
      expect(summary.truth).toMatchObject({ emitted: 3000, valid: received.valid, invalid: received.invalid, distinct: received.distinct });
      expect(received.invalid).toBeGreaterThan(0);
      expect(received.valid).toBeGreaterThan(received.distinct);
      const largeIds = stub.rows.filter((row) => typeof (row as { detection_oid?: unknown } | null)?.detection_oid === 'string');
      expect(largeIds.length).toBeGreaterThan(300);
    } finally {
      await stub.close();
    }
  }, 60_000);

  it('says to run `npm start` when the runtime is not reachable, and exits 1', async () => {
    const port = await freePort();
    const stdout = collector();
    const stderr = collector();
    const code = await main(['--target', `http://127.0.0.1:${port}`, '--duration', '1', '--rate', '10'], { stdout, stderr, env: {} });
    expect(code).toBe(1);
    expect(stderr.text()).toContain(`cannot reach http://127.0.0.1:${port} (connection refused). Is \`npm start\` running?`);
  });

  it('stops with the reason when the target refuses the events', async () => {
    const stub = await startStub(() => ({ status: 413, body: '{"error":"body too large"}' }));
    try {
      const stdout = collector();
      const stderr = collector();
      const code = await main(['--target', stub.url, '--duration', '1', '--rate', '50', '--batch', '10'], { stdout, stderr, env: {} });
      expect(code).toBe(1);
      expect(stderr.text()).toContain('POST /api/events answered 413: {"error":"body too large"}');
    } finally {
      await stub.close();
    }
  }, 30_000);

  it('retries a batch that met a transient 503, so every event arrives', async () => {
    const stub = await startStub((post) => (post === 1 ? { status: 503, body: '{"error":"starting"}' } : undefined));
    try {
      const stdout = collector();
      const stderr = collector();
      const args = [
        '--target',
        stub.url,
        '--duration',
        '1',
        '--rate',
        '40',
        '--batch',
        '10',
        '--concurrency',
        '1',
        '--invalid',
        '0',
        '--json',
      ];
      const code = await main(args, { stdout, stderr, env: {} });
      expect(code).toBe(0);
      const summary = JSON.parse(stdout.text()) as SimulationSummary;
      expect(summary).toMatchObject({ sent: 40, accepted: 40, errors: 0 });
      expect(stub.rows).toHaveLength(40);
      expect(stub.requests.filter((request) => request.method === 'POST').length).toBeGreaterThan(4);
    } finally {
      await stub.close();
    }
  }, 30_000);

  it('stops early and still sums up when interrupted', async () => {
    const stub = await startStub();
    try {
      const controller = new AbortController();
      const stdout = collector();
      const stderr = collector();
      setTimeout(() => controller.abort(), 300);
      const code = await main(['--target', stub.url, '--duration', '600', '--rate', '100', '--json'], {
        stdout,
        stderr,
        env: {},
        signal: controller.signal,
      });
      expect(code).toBe(130);
      const summary = JSON.parse(stdout.text()) as SimulationSummary;
      expect(summary.interrupted).toBe(true);
      expect(summary.sent).toBe(stub.rows.length);
      expect(summary.sent).toBeLessThan(60_000);
    } finally {
      await stub.close();
    }
  }, 30_000);
});

describe('parseSimulateArgs', () => {
  it('applies the documented defaults', () => {
    const settings = parseSimulateArgs([], () => 1234)!;
    expect(settings).toMatchObject({
      rate: 1000,
      durationSeconds: 60,
      total: 60_000,
      duplicates: 0.05,
      late: 0.01,
      invalid: 0.001,
      locations: 50,
      items: 40,
    });
    expect(settings.seed).toBe(1234);
    expect(settings.target).toEqual({ kind: 'http', url: new URL('http://127.0.0.1:7071') });
  });

  it('reads the issue example', () => {
    const argv = '--rate 10000 --duration 60 --duplicates 0.05 --late 0.01 --invalid 0.001 --locations 50 --items 40'.split(' ');
    expect(parseSimulateArgs(argv)).toMatchObject({
      rate: 10_000,
      total: 600_000,
      duplicates: 0.05,
      late: 0.01,
      invalid: 0.001,
      locations: 50,
      items: 40,
    });
  });

  it('returns null for --help', () => {
    expect(parseSimulateArgs(['--help'])).toBeNull();
    expect(parseSimulateArgs(['-h'])).toBeNull();
  });

  it.each([
    [['--rate', 'fast'], '--rate must be a number from 0.1 to 1000000, got "fast"'],
    [['--rate', '0'], '--rate must be a number'],
    [['--duplicates', '1.2'], '--duplicates must be a fraction from 0 to 1'],
    [['--invalid=-0.1'], '--invalid must be a fraction'],
    [['--locations', '2.5'], '--locations must be a whole number'],
    [['--seed', 'x'], '--seed must be a whole number'],
    [['--duplicates', '0.7', '--invalid', '0.5'], '--duplicates and --invalid together must not exceed 1'],
    [['--target', 'nowhere'], '--target must be a URL like http://127.0.0.1:7071 or "eventhubs"'],
    [['--target', 'ftp://host'], '--target must be an http(s) URL'],
    [['--speed', '3'], "Unknown option '--speed'"],
    [['--rate'], "Option '--rate <value>' argument missing"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseSimulateArgs(argv)).toThrow(UsageError);
    expect(() => parseSimulateArgs(argv)).toThrow(message);
  });

  it('accepts --target eventhubs and --name=value forms', () => {
    expect(parseSimulateArgs(['--target=eventhubs', '--batch=50'])).toMatchObject({ target: { kind: 'eventhubs' }, batch: 50 });
  });
});

function event(partitionKey: string | undefined, n: number): GeneratedEvent {
  return { kind: 'fresh', body: { n }, partitionKey };
}

class FakeBatch implements BatchLike {
  readonly bodies: unknown[] = [];
  constructor(
    readonly partitionKey: string | undefined,
    private readonly capacity: number,
  ) {}
  get count() {
    return this.events.length;
  }
  /** Each event's body is a packed JSON array; `bodies` holds the rows. */
  readonly events: unknown[][] = [];
  tryAdd(data: { body: unknown }): boolean {
    const rows = JSON.parse((data.body as Buffer).toString('utf8')) as { n: number }[];
    if (this.events.length >= this.capacity || rows.some((row) => row.n < 0)) return false;
    this.events.push(rows);
    this.bodies.push(...rows);
    return true;
  }
}

class FakeProducer implements ProducerLike<FakeBatch> {
  readonly sent: FakeBatch[] = [];
  constructor(private readonly capacity: number) {}
  createBatch(options?: { partitionKey: string }): Promise<FakeBatch> {
    return Promise.resolve(new FakeBatch(options?.partitionKey, this.capacity));
  }
  sendBatch(batch: FakeBatch): Promise<void> {
    this.sent.push(batch);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('Event Hubs batching by partition key', () => {
  const events = [
    event('101', 1),
    event('202', 2),
    event('101', 3),
    event(undefined, 4),
    event('202', 5),
    event('101', 6),
    event('101', 7),
  ];

  it('groups bodies by camera oid, in generated order within each camera', () => {
    const groups = groupByPartitionKey(events);
    expect([...groups.keys()]).toEqual(['101', '202', NO_PARTITION_KEY]);
    expect(groups.get('101')).toEqual([{ n: 1 }, { n: 3 }, { n: 6 }, { n: 7 }]);
    expect(groups.get('202')).toEqual([{ n: 2 }, { n: 5 }]);
    expect(groups.get(NO_PARTITION_KEY)).toEqual([{ n: 4 }]);
  });

  it('packs the rows of each camera into one event when they fit, each sent once with its partition key', async () => {
    const producer = new FakeProducer(3);
    const batches = await sendByPartitionKey(producer, events, 2);
    expect(batches).toBe(producer.sent.length);
    const byKey = new Map<string | undefined, unknown[][]>();
    for (const batch of producer.sent) byKey.set(batch.partitionKey, [...(byKey.get(batch.partitionKey) ?? []), ...batch.events]);
    expect(byKey.get('101')).toEqual([[{ n: 1 }, { n: 3 }, { n: 6 }, { n: 7 }]]);
    expect(byKey.get('202')).toEqual([[{ n: 2 }, { n: 5 }]]);
    // Rows without a camera oid go without a partition key, and Event Hubs spreads them.
    expect(byKey.get(undefined)).toEqual([[{ n: 4 }]]);
  });

  it('splits the rows of a camera into events under 64 KB, and full batches into more batches', async () => {
    const filler = 'x'.repeat(1000);
    const many = Array.from({ length: 200 }, (_, n) => ({ kind: 'fresh' as const, body: { n, filler }, partitionKey: '9' }));
    const producer = new FakeProducer(2);
    await sendByPartitionKey(producer, many, 1);
    const packed = producer.sent.flatMap((batch) => batch.events);
    // About 1 KB per row: 200 rows need four 63 KB events, in two batches of two.
    expect(packed).toHaveLength(4);
    expect(producer.sent).toHaveLength(2);
    for (const rows of packed) expect(Buffer.byteLength(JSON.stringify(rows))).toBeLessThanOrEqual(PACKED_BODY_BYTES);
    expect(packed.flat().map((row) => (row as { n: number }).n)).toEqual(many.map((event) => event.body.n));
  });

  it('fails clearly on an event too large for any batch', async () => {
    await expect(sendByPartitionKey(new FakeProducer(10), [event('1', -1)], 1)).rejects.toThrow('larger than an Event Hubs batch allows');
  });
});

describe('eventHubsConnectionFrom', () => {
  it('prefers a connection string, naming the hub from EVENTHUB_NAME or its EntityPath', () => {
    expect(
      eventHubsConnectionFrom({ EVENTHUB_CONNECTION_STRING: 'Endpoint=sb://x/;EntityPath=hub', EVENTHUB_NAMESPACE: 'ignored' }),
    ).toEqual({
      kind: 'connectionString',
      connectionString: 'Endpoint=sb://x/;EntityPath=hub',
      eventHubName: undefined,
    });
    expect(eventHubsConnectionFrom({ EVENTHUB_CONNECTION_STRING: 'Endpoint=sb://x/', EVENTHUB_NAME: 'hub' })).toMatchObject({
      eventHubName: 'hub',
    });
    expect(() => eventHubsConnectionFrom({ EVENTHUB_CONNECTION_STRING: 'Endpoint=sb://x/' })).toThrow('set EVENTHUB_NAME');
  });

  it('uses the namespace with DefaultAzureCredential, completing a bare namespace name', () => {
    expect(eventHubsConnectionFrom({ EVENTHUB_NAMESPACE: 'myns.servicebus.windows.net', EVENTHUB_NAME: 'detections' })).toEqual({
      kind: 'identity',
      namespace: 'myns.servicebus.windows.net',
      eventHubName: 'detections',
    });
    expect(eventHubsConnectionFrom({ EVENTHUB_NAMESPACE: 'myns', EVENTHUB_NAME: 'd' })).toMatchObject({
      namespace: 'myns.servicebus.windows.net',
    });
  });

  it('explains what is missing', () => {
    expect(() => eventHubsConnectionFrom({ EVENTHUB_NAMESPACE: 'myns' })).toThrow(/EVENTHUB_NAMESPACE .* and EVENTHUB_NAME/);
    expect(() => eventHubsConnectionFrom({})).toThrow(UsageError);
  });
});
