/**
 * The local runtime has no authentication, so web pages in the user's browser must not reach it: a
 * request from another origin (a cross-site "simple" POST needs no preflight) and a request under a
 * foreign Host name (DNS rebinding) get a 403 with the reason. Clients that send no Origin (curl, the
 * simulator) and the runtime's own dashboard keep working.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../local/log';
import { isLoopbackAddress, RequestGuard } from '../../local/requestGuard';
import { RouteTable } from '../../local/routes';
import { LocalHttpServer } from '../../local/server';
import { DetectionGenerator } from '../../tools/lib/generator';
import { httpSink } from '../../tools/simulate';

describe('RequestGuard', () => {
  const loopback = new RequestGuard('127.0.0.1', () => 7071);

  it.each([
    ['no Origin (curl, scripts)', { host: '127.0.0.1:7071' }],
    ['no Host and no Origin (HTTP/1.0)', {}],
    ['the dashboard on 127.0.0.1', { host: '127.0.0.1:7071', origin: 'http://127.0.0.1:7071' }],
    ['the dashboard on localhost', { host: 'localhost:7071', origin: 'http://localhost:7071' }],
    ['the dashboard on [::1]', { host: '[::1]:7071', origin: 'http://[::1]:7071' }],
    ['another loopback name of the same runtime', { host: '127.0.0.1:7071', origin: 'http://localhost:7071' }],
    ['the dashboard through a port forward', { host: 'localhost:8080', origin: 'http://localhost:8080' }],
    ['upper-case names', { host: 'LocalHost:7071', origin: 'http://LOCALHOST:7071' }],
  ])('lets through %s', (_name, headers) => {
    expect(loopback.refusal(headers)).toBeUndefined();
  });

  it.each([
    ['another site', { host: '127.0.0.1:7071', origin: 'https://evil.example' }, /Origin "https:\/\/evil.example" is not this runtime/],
    ['a sandboxed frame or a file: page', { host: '127.0.0.1:7071', origin: 'null' }, /Origin "null"/],
    ['another port on loopback', { host: '127.0.0.1:7071', origin: 'http://127.0.0.1:3000' }, /Origin/],
    ['https on the same port', { host: '127.0.0.1:7071', origin: 'https://127.0.0.1:7071' }, /Origin/],
    ['an origin with a path', { host: '127.0.0.1:7071', origin: 'http://127.0.0.1:7071/x' }, /Origin/],
    ['a rebound name', { host: 'rebind.evil.example:7071', origin: 'http://rebind.evil.example:7071' }, /DNS-rebinding/],
    ['a rebound name without Origin (a GET)', { host: 'rebind.evil.example:7071' }, /Host "rebind.evil.example:7071"/],
    ['a Host that is not a host', { host: 'user@127.0.0.1:7071' }, /Host/],
    ['a loopback name with a trailing dot', { host: 'localhost.:7071' }, /Host/],
  ])('refuses %s', (_name, headers, reason) => {
    expect(loopback.refusal(headers)).toMatch(reason);
  });

  it('accepts the configured HOST as a name of the runtime', () => {
    const guard = new RequestGuard('127.0.0.2', () => 7071);
    expect(guard.refusal({ host: '127.0.0.2:7071', origin: 'http://127.0.0.2:7071' })).toBeUndefined();
    expect(guard.refusal({ host: 'evil.example:7071' })).toMatch(/DNS-rebinding/);
  });

  it('when HOST is not loopback, accepts any Host but still only same-origin requests', () => {
    const exposed = new RequestGuard('0.0.0.0', () => 7071);
    expect(exposed.refusal({ host: 'build-box.lan:7071', origin: 'http://build-box.lan:7071' })).toBeUndefined();
    expect(exposed.refusal({ host: '192.168.1.20:7071' })).toBeUndefined();
    expect(exposed.refusal({ host: '192.168.1.20:7071', origin: 'http://evil.example' })).toMatch(/Origin/);
    expect(exposed.refusal({ host: '192.168.1.20:7071', origin: 'http://build-box.lan:7071' })).toMatch(/Origin/);
  });

  it('knows the loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect([host, isLoopbackAddress(host)]).toEqual([host, true]);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1'])
      expect([host, isLoopbackAddress(host)]).toEqual([host, false]);
  });
});

describe('LocalHttpServer refuses cross-site and rebound requests', () => {
  let workspace: string;
  let server: LocalHttpServer;
  let url: URL;
  const posted: string[] = [];

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'request-guard-'));
    writeFileSync(join(workspace, 'index.html'), '<!doctype html><title>dashboard</title>');
    const routes = new RouteTable();
    routes.add({
      method: 'POST',
      path: '/api/events',
      name: 'events',
      handler: async (request) => {
        const events = (await request.json()) as unknown[];
        posted.push(...events.map((event) => JSON.stringify(event)));
        return { status: 202, jsonBody: { accepted: events.length, rejected: 0, errors: [] } };
      },
    });
    routes.add({ method: 'GET', path: '/api/health', name: 'health', handler: () => ({ status: 200, jsonBody: { status: 'ready' } }) });
    server = new LocalHttpServer({ routes, staticDir: workspace, maxBodyBytes: 1 << 20, logger: createLogger('error') });
    url = new URL(await server.listen(0, '127.0.0.1'));
  });

  afterAll(async () => {
    await server.stop(1_000);
    rmSync(workspace, { recursive: true, force: true });
  });

  beforeEach(() => posted.splice(0));

  /** A raw request, so that Host and Origin are exactly what a browser (or an attacker's page) would send. */
  function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; json: unknown; contentType: string | undefined }> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = response.headers['content-type'];
          resolve({ status: response.statusCode ?? 0, json: contentType === 'application/json' ? JSON.parse(text) : text, contentType });
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  const events = JSON.stringify([{ detection_oid: 1 }, { detection_oid: 2 }]);

  it('refuses a cross-site simple POST (text/plain) with a 403 that says why, and never runs the handler', async () => {
    const answer = await send('POST', '/api/events', { origin: 'https://evil.example', 'content-type': 'text/plain' }, events);
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({
      error: expect.stringMatching(/^cross-origin request refused: Origin "https:\/\/evil.example"/) as string,
    });
    expect(posted).toEqual([]);
  });

  it('refuses a page on another loopback port, and a sandboxed page', async () => {
    for (const origin of ['http://127.0.0.1:1', 'null']) {
      expect((await send('POST', '/api/events', { origin, 'content-type': 'text/plain' }, events)).status).toBe(403);
    }
    expect(posted).toEqual([]);
  });

  it('refuses requests under a rebound Host name, for reads and writes alike', async () => {
    const host = `rebind.evil.example:${url.port}`;
    for (const [method, path] of [
      ['GET', '/api/health'],
      ['GET', '/'],
      ['POST', '/api/events'],
    ] as const) {
      const answer = await send(method, path, { host, origin: `http://${host}` }, method === 'POST' ? events : undefined);
      expect([method, path, answer.status]).toEqual([method, path, 403]);
      expect(answer.json).toEqual({ error: expect.stringMatching(/DNS-rebinding/) as string });
    }
    expect(posted).toEqual([]);
  });

  it('serves the dashboard origin, under each loopback name', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const origin = `http://${name}:${url.port}`;
      const answer = await send('POST', '/api/events', { host: `${name}:${url.port}`, origin, 'content-type': 'application/json' }, events);
      expect([origin, answer.status]).toEqual([origin, 202]);
    }
    expect(posted).toHaveLength(4);
    expect((await send('GET', '/', { origin: url.origin })).status).toBe(200);
  });

  it('serves clients that send no Origin: curl-like requests and fetch from Node', async () => {
    expect((await send('POST', '/api/events', { 'content-type': 'application/json' }, events)).status).toBe(202);
    const response = await fetch(new URL('/api/events', url), { method: 'POST', body: events });
    expect(response.status).toBe(202);
    expect(posted).toHaveLength(4);
  });

  it('serves the simulator', async () => {
    const sink = httpSink(url, { concurrency: 1 });
    try {
      await sink.check();
      const generated = new DetectionGenerator({ seed: 7, now: () => Date.UTC(2026, 10, 22, 10, 30) }).batch(5);
      expect(await sink.send(generated)).toMatchObject({ accepted: 5, rejected: 0 });
      expect(posted).toHaveLength(5);
    } finally {
      await sink.close();
    }
  });
});
