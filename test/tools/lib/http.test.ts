import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTarget, TargetUnreachable } from '../../../tools/lib/http';

let server: Server;
let base: URL;
let answers: { status: number; body: string }[] = [];
const seen: { method: string; path: string; key: string | undefined; type: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        key: request.headers['x-functions-key'] as string | undefined,
        type: request.headers['content-type'],
        body,
      });
      const answer = answers.shift() ?? { status: 202, body: '{}' };
      response.writeHead(answer.status, { location: '/next' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  answers = [];
  seen.length = 0;
});

describe('HttpTarget', () => {
  const sleeps: number[] = [];
  const target = () =>
    new HttpTarget(base, { functionsKey: 'k1', retryDelaysMs: [10, 20], sleep: (ms) => Promise.resolve(void sleeps.push(ms)) });

  it('retries a POST on a retryable status, with the key and the content type each time', async () => {
    answers = [
      { status: 503, body: 'starting' },
      { status: 429, body: 'slow down' },
    ];
    sleeps.length = 0;
    const client = target();
    const answer = await client.post('/api/events', '[1]', { contentType: 'application/x-ndjson' });
    client.close();
    expect(answer).toEqual({ status: 202, body: '{}', location: '/next' });
    expect(sleeps).toEqual([10, 20]);
    expect(seen.map((request) => [request.method, request.path, request.key, request.type, request.body])).toEqual(
      Array.from({ length: 3 }, () => ['POST', '/api/events', 'k1', 'application/x-ndjson', '[1]']),
    );
  });

  it('returns the last answer once the retries are spent, and a refusal at once', async () => {
    answers = [500, 500, 500].map((status) => ({ status, body: 'down' }));
    const client = target();
    expect((await client.post('/api/events', '[]')).status).toBe(500);
    expect(seen).toHaveLength(3);
    answers = [{ status: 413, body: 'too large' }];
    expect(await client.post('/api/events', '[]')).toMatchObject({ status: 413, body: 'too large' });
    expect(seen).toHaveLength(4);
    client.close();
  });

  it('never retries a plain request', async () => {
    answers = [{ status: 503, body: 'starting' }];
    const client = target();
    expect((await client.request('POST', '/api/replay', '{}')).status).toBe(503);
    expect(seen).toHaveLength(1);
    client.close();
  });

  it('names a target that does not answer, and hints at npm start for a local one', async () => {
    const client = new HttpTarget(new URL('http://127.0.0.1:9'), { retryDelaysMs: [1], sleep: () => Promise.resolve() });
    await expect(client.post('/api/events', '[]')).rejects.toThrow(TargetUnreachable);
    await expect(client.request('GET', '/api/health')).rejects.toThrow(
      'cannot reach http://127.0.0.1:9 (connection refused). Is `npm start` running?',
    );
    client.close();
  });
});
