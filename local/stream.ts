import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import type { FunctionHttpHandler } from './functions';
import { describeError, type Logger } from './log';
import type { RawRoute } from './routes';

export interface StatsStreamOptions {
  /** The health handler: each event carries exactly the JSON that GET /api/health answers. */
  readonly health: FunctionHttpHandler;
  readonly logger: Logger;
  /** Streams are registered here so that a shutdown can end them. */
  readonly track: (response: ServerResponse) => void;
  readonly intervalMs?: number;
  readonly heartbeatMs?: number;
}

/**
 * GET /api/stream: Server-Sent Events. `event: stats` with the health JSON, sent on connect and then
 * whenever it changes (looked at every 250 ms while anyone listens), and a comment line every 15 s
 * so that proxies and browsers keep the connection open.
 */
export class StatsStream {
  private readonly clients = new Set<ServerResponse>();
  private poller: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastComparable: string | undefined;
  private polling = false;

  constructor(private readonly options: StatsStreamOptions) {}

  route(path = '/api/stream'): RawRoute {
    return { method: 'GET', path, name: 'stream', raw: (request, response) => this.connect(request, response) };
  }

  get clientCount(): number {
    return this.clients.size;
  }

  stop(): void {
    this.clearTimers();
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private clearTimers(): void {
    clearInterval(this.poller);
    clearInterval(this.heartbeat);
    this.poller = this.heartbeat = undefined;
  }

  private async connect(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.flushHeaders();
    send(response, 'retry: 2000\n\n');
    // A client gone mid-write must not become an unhandled 'error' event.
    response.on('error', () => this.clients.delete(response));
    this.options.track(response);
    this.clients.add(response);
    response.once('close', () => {
      this.clients.delete(response);
      if (this.clients.size === 0) this.clearTimers();
    });
    this.ensureTimers();
    const snapshot = await this.snapshot();
    if (!snapshot) return;
    if (snapshot.comparable !== this.lastComparable) {
      // News for everyone, not only the newcomer.
      this.lastComparable = snapshot.comparable;
      for (const client of this.clients) send(client, `event: stats\ndata: ${snapshot.payload}\n\n`);
    } else {
      send(response, `event: stats\ndata: ${snapshot.payload}\n\n`);
    }
  }

  private ensureTimers(): void {
    this.poller ??= setInterval(() => void this.poll(), this.options.intervalMs ?? 250);
    this.heartbeat ??= setInterval(() => {
      for (const client of this.clients) send(client, ': heartbeat\n\n');
    }, this.options.heartbeatMs ?? 15_000);
    this.poller.unref();
    this.heartbeat.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.clients.size === 0) return;
    this.polling = true;
    try {
      const snapshot = await this.snapshot();
      if (!snapshot || snapshot.comparable === this.lastComparable) return;
      this.lastComparable = snapshot.comparable;
      for (const client of this.clients) send(client, `event: stats\ndata: ${snapshot.payload}\n\n`);
    } finally {
      this.polling = false;
    }
  }

  private async snapshot(): Promise<{ payload: string; comparable: string } | undefined> {
    try {
      const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' });
      const context = new InvocationContext({ functionName: 'health', logHandler: () => undefined });
      // As the server would send it: the handler may answer with jsonBody or (forwarded from the store worker) bytes.
      const response = new HttpResponse(await this.options.health(request, context));
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as Record<string, unknown>;
      // The check time changes on every look; only a change in the rest is news.
      const { checkedAt: _checkedAt, ...rest } = body;
      return { payload: JSON.stringify(body), comparable: JSON.stringify(rest) };
    } catch (error) {
      this.options.logger.warn(`stream: could not read health: ${describeError(error)}`);
      return undefined;
    }
  }
}

function send(client: ServerResponse, text: string): void {
  if (!client.writableEnded && !client.destroyed) client.write(text);
}
