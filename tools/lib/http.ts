/**
 * The one HTTP client of the tools (simulate, replay, bench): keep-alive connections to a runtime or
 * Function app, the function key when one is set, and POSTs retried on what the target asks to retry.
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly location: string | null;
}

/** Statuses that say "try again": timeouts, throttling, a host starting or restarting. */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
export const RETRY_DELAYS_MS: readonly number[] = [250, 1000, 3000, 10_000];

/** Nothing answered at the target (refused, reset, timed out), after the retries when there were some. */
export class TargetUnreachable extends Error {
  constructor(target: URL, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : (cause as Error).message;
    const local = target.hostname === '127.0.0.1' || target.hostname === 'localhost';
    super(`cannot reach ${target.origin} (${why}).${local ? ' Is `npm start` running?' : ''}`, { cause });
    this.name = 'TargetUnreachable';
  }
}

export interface HttpTargetOptions {
  /** Sent as x-functions-key, for a Function app. */
  readonly functionsKey?: string | undefined;
  /** Connections kept open at most. */
  readonly maxSockets?: number;
  /** Delays between the attempts of a retried POST; its length is the number of retries. */
  readonly retryDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export class HttpTarget {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(
    readonly base: URL,
    private readonly options: HttpTargetOptions = {},
  ) {
    this.transport = base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  }

  /** One request, not retried; a target that does not answer throws TargetUnreachable. */
  async request(method: 'GET' | 'POST', path: string, body?: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    try {
      return await this.once(method, new URL(path, this.base), body, options);
    } catch (error) {
      throw new TargetUnreachable(this.base, error);
    }
  }

  /**
   * A POST retried, with growing delays, while the target does not answer or answers a retryable
   * status. Only for requests that may arrive twice: the runtime's dedup makes a resent batch of
   * events harmless. The answer is the last one (the caller tells 2xx from what was given up on).
   */
  async post(path: string, body: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 0; ; attempt += 1) {
      let answer: HttpAnswer | undefined;
      let failure: unknown;
      try {
        answer = await this.once('POST', new URL(path, this.base), body, options);
      } catch (error) {
        failure = error;
      }
      if (answer && !RETRYABLE_STATUS.has(answer.status)) return answer;
      const delay = delays[attempt];
      if (delay === undefined) {
        if (answer) return answer;
        throw new TargetUnreachable(this.base, failure);
      }
      await sleep(delay);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private once(method: 'GET' | 'POST', url: URL, body: string | undefined, options: RequestOptions): Promise<HttpAnswer> {
    const headers: Record<string, string | number> = this.options.functionsKey ? { 'x-functions-key': this.options.functionsKey } : {};
    if (body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const outgoing = this.transport.request(url, { method, agent: this.agent, headers, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            location: typeof response.headers.location === 'string' ? response.headers.location : null,
          }),
        );
        response.on('error', reject);
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}
