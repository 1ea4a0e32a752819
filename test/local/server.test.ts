import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../local/log';
import { RouteTable } from '../../local/routes';
import { LocalHttpServer } from '../../local/server';

let workspace: string;
let server: LocalHttpServer;
let url: string;
const seen: { method: string; url: string; params: Record<string, string>; body: string; header: string | null }[] = [];

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'server-'));
  writeFileSync(join(workspace, 'index.html'), '<!doctype html><title>dashboard</title>');
  const routes = new RouteTable();
  routes.add({
    method: 'POST',
    path: '/api/echo',
    name: 'echo',
    handler: async (request) => {
      seen.push({
        method: request.method,
        url: request.url,
        params: request.params,
        body: await request.text(),
        header: request.headers.get('x-test'),
      });
      return { status: 201, jsonBody: { ok: true }, headers: { 'x-handler': 'echo' } };
    },
  });
  routes.add({
    method: 'GET',
    path: /^\/api\/items\/(?<id>[^/]+)$/,
    name: 'item',
    handler: (request) => ({ status: 200, jsonBody: { id: request.params['id'] } }),
  });
  routes.add({
    method: 'GET',
    path: '/api/broken',
    name: 'broken',
    handler: () => {
      throw new Error('the handler blew up');
    },
  });
  server = new LocalHttpServer({ routes, staticDir: workspace, maxBodyBytes: 16, logger: createLogger('error') });
  url = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server.stop(1_000);
  rmSync(workspace, { recursive: true, force: true });
});

describe('LocalHttpServer', () => {
  it('hands the handler an HttpRequest with method, URL, headers and body, and writes its response back', async () => {
    const response = await fetch(`${url}/api/echo?x=1&x=2`, { method: 'POST', body: 'hello', headers: { 'x-test': 'yes' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-handler')).toBe('echo');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toEqual([
      { method: 'POST', url: expect.stringMatching(/\/api\/echo\?x=1&x=2$/) as string, params: {}, body: 'hello', header: 'yes' },
    ]);
  });

  it('passes route parameters from named groups', async () => {
    expect(await (await fetch(`${url}/api/items/a%20b`)).json()).toEqual({ id: 'a b' });
  });

  it('turns a throwing handler into a 500 with its message and keeps serving', async () => {
    const response = await fetch(`${url}/api/broken`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal error: the handler blew up' });
    expect((await fetch(`${url}/api/items/1`)).status).toBe(200);
  });

  it('cuts an oversized body to just past the limit, so the handler can refuse it', async () => {
    await fetch(`${url}/api/echo`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(seen[seen.length - 1]!.body).toHaveLength(17);
  });

  it('serves static files outside /api and answers unknown API routes with JSON 404s', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('dashboard');
    const missing = await fetch(`${url}/api/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route for GET /api/missing' });
    expect((await fetch(`${url}/missing.js`)).status).toBe(404);
  });

  it('refuses to register the same route twice', () => {
    const routes = new RouteTable();
    routes.add({ method: 'GET', path: '/api/a', name: 'a', handler: () => ({ status: 204 }) });
    expect(() => routes.add({ method: 'get', path: '/api/a', name: 'b', handler: () => ({ status: 204 }) })).toThrow('already served by a');
  });
});
