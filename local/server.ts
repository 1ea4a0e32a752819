import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { describeError, invocationLogHandler, type Logger, throttledWarn } from './log';
import { RequestGuard } from './requestGuard';
import type { FunctionRoute, RouteTable } from './routes';

export interface LocalHttpServerOptions {
  readonly routes: RouteTable;
  /** Served at `/` (index.html) and below, for every path outside /api/. */
  readonly staticDir: string;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Headers that describe the connection rather than the request; fetch's Request refuses some. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'expect']);

/**
 * The local runtime's HTTP front: turns each request into an @azure/functions HttpRequest, calls the
 * real handler, and writes its HttpResponseInit back, as the Functions host does. Never lets a
 * handler's fault take the process down: it becomes a 500 with a message.
 */
export class LocalHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private stopping = false;
  private readonly staticRoot: string;
  /** Set by listen(), which knows the configured host; refuses every request until then. */
  private guard: RequestGuard | undefined;
  /** A hostile page may send many: one line now and then is enough to notice it. */
  private readonly warnRefused: (message: string) => void;

  constructor(private readonly options: LocalHttpServerOptions) {
    this.staticRoot = resolve(options.staticDir);
    this.warnRefused = throttledWarn(options.logger);
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
  }

  /**
   * Starts serving on `host` (the configured HOST) and `port` (0 for any free port). Requests from
   * other origins, or addressed to names that are not this runtime's, are refused (see RequestGuard).
   */
  listen(port: number, host: string): Promise<string> {
    this.guard = new RequestGuard(host, () => (this.server.address() as AddressInfo | null)?.port ?? port);
    return new Promise((resolvePromise, reject) => {
      const fail = (error: NodeJS.ErrnoException): void => {
        // The usual first-run stumble: say what to do, not just what happened.
        if (error.code === 'EADDRINUSE')
          reject(new Error(`${host}:${port} is already in use (another npm start?). Stop it, or choose another port: PORT=7072 npm start`));
        else if (error.code === 'EADDRNOTAVAIL') reject(new Error(`HOST=${host} is not an address of this machine`));
        else reject(error);
      };
      this.server.once('error', fail);
      this.server.listen(port, host, () => {
        this.server.off('error', fail);
        const address = this.server.address() as AddressInfo;
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolvePromise(`http://${shownHost}:${address.port}`);
      });
    });
  }

  /** A long-lived response (SSE) that stop() must end. */
  trackStream(response: ServerResponse): void {
    this.streams.add(response);
    response.once('close', () => this.streams.delete(response));
  }

  /** Stops accepting, lets requests under way finish (up to `graceMs`), then closes every connection. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolvePromise) => this.server.close(() => resolvePromise()));
    for (const stream of this.streams) stream.end();
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolvePromise) => (this.idle = resolvePromise)),
        new Promise((resolvePromise) => setTimeout(resolvePromise, graceMs).unref()),
      ]);
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.inFlight += 1;
    try {
      await this.route(request, response);
    } catch (error) {
      this.options.logger.error(`${request.method ?? '?'} ${request.url ?? '?'} failed`, error);
      if (!response.headersSent) sendJson(response, 500, { error: `internal error: ${describeError(error)}` });
      else response.destroy();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const refusal = this.guard ? this.guard.refusal({ host: request.headers.host, origin: request.headers.origin }) : 'not listening yet';
    if (refusal !== undefined) {
      request.resume();
      this.warnRefused(`refused ${method} ${url.pathname}: ${refusal}`);
      sendJson(response, 403, { error: refusal });
      return;
    }
    if (this.stopping) {
      response.setHeader('connection', 'close');
      sendJson(response, 503, { error: 'the runtime is shutting down' });
      request.resume();
      return;
    }
    const match = this.options.routes.match(method, url.pathname);
    if (match.kind === 'found') {
      if ('raw' in match.route) {
        await match.route.raw(request, response, url);
        return;
      }
      await this.invoke(match.route, match.params, request, response, url);
      return;
    }
    if (match.kind === 'method-not-allowed') {
      request.resume();
      response.setHeader('allow', match.allowed.join(', '));
      sendJson(response, 405, { error: `${method} is not allowed on ${url.pathname}; use ${match.allowed.join(' or ')}` });
      return;
    }
    request.resume();
    if (!url.pathname.startsWith('/api/') && (method === 'GET' || method === 'HEAD') && this.serveStatic(url.pathname, method, response)) {
      return;
    }
    sendJson(response, 404, { error: `no route for ${method} ${url.pathname}` });
  }

  private async invoke(
    route: FunctionRoute,
    params: Record<string, string>,
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    const body = await readBodyUpTo(request, this.options.maxBodyBytes + 1);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const host = request.headers.host ?? 'localhost';
    const httpRequest = new HttpRequest({
      method: request.method ?? 'GET',
      url: `http://${host}${url.pathname}${url.search}`,
      headers,
      params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    });
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: route.name,
      logHandler: invocationLogHandler(this.options.logger.child(route.name)),
      triggerMetadata: {},
    });
    const init = await route.handler(httpRequest, context);
    const result = new HttpResponse(init);
    const payload = Buffer.from(await result.arrayBuffer());
    const outgoing: Record<string, string> = {};
    result.headers.forEach((value, name) => (outgoing[name] = value));
    outgoing['content-length'] = String(payload.length);
    response.writeHead(result.status, outgoing);
    response.end(request.method === 'HEAD' ? undefined : payload);
  }

  private serveStatic(pathname: string, method: string, response: ServerResponse): boolean {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    if (relative.includes('\0')) return false;
    if (relative.endsWith('/')) relative += 'index.html';
    const file = normalize(join(this.staticRoot, relative));
    if (file !== this.staticRoot && !file.startsWith(this.staticRoot + sep)) return false;
    let size: number;
    try {
      const stats = statSync(file);
      if (!stats.isFile()) return false;
      size = stats.size;
    } catch {
      return false;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (method === 'HEAD') {
      response.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
    return true;
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(payload.length), 'cache-control': 'no-store' });
  response.end(payload);
}

/**
 * Buffers at most `limit` bytes of the body and discards the rest, so an oversized upload costs no
 * memory; the handler sees more than its limit and answers 413 itself.
 */
function readBodyUpTo(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    request.on('data', (chunk: Buffer) => {
      if (kept >= limit) return;
      const part = kept + chunk.length > limit ? chunk.subarray(0, limit - kept) : chunk;
      chunks.push(part);
      kept += part.length;
    });
    request.once('end', () => resolvePromise(Buffer.concat(chunks, kept)));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('the client closed the connection before the whole body arrived'));
    });
  });
}
