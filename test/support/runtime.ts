/**
 * The tests' settings for the runtime launcher (tools/lib/runtime.ts), and the HTTP helpers the tests
 * of the running runtime share.
 */
import { type Exit, runToExit, type RuntimeProcess, type SpawnOptions, startRuntime, tempDataDir } from '../../tools/lib/runtime';
import { eventually } from './eventually';

export interface TestRuntimeOptions {
  /** Restart on an existing data directory; a new temporary one otherwise (removed by `stop`'s caller). */
  readonly dataDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--require <fault hook>`. */
  readonly nodeArgs?: readonly string[];
}

function testSettings(options: TestRuntimeOptions): SpawnOptions {
  return {
    dataDir: options.dataDir ?? tempDataDir(),
    // The tests post events at fixed 2026 times: a retention of a century keeps their hours served
    // whenever the tests run (a test of retention sets its own).
    env: { LOG_LEVEL: 'info', HOURLY_RETENTION_DAYS: '36500', ...options.env },
    // The test runner's own settings must not leak into the runtime's configuration.
    unset: ['NODE_OPTIONS', 'FAULTS'],
    nodeArgs: options.nodeArgs ?? [],
  };
}

/** Starts the runtime for a test and waits until it serves. */
export function startTestRuntime(options: TestRuntimeOptions = {}): Promise<RuntimeProcess> {
  return startRuntime(testSettings(options));
}

/** Runs the runtime until it exits on its own (a startup failure), returning its exit and output. */
export function runTestRuntimeToExit(options: TestRuntimeOptions = {}): Promise<Exit & { output: string }> {
  return runToExit(testSettings(options));
}

export interface Health {
  status: string;
  host: string;
  locations: number;
  counters: { accepted: number; stored: number; duplicates: number; conflicts: number; invalid: number; unknown_location: number };
  backlog: { events: number | null; changes: number | null };
  checkedAt: string;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function postEvents(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, json };
}

/**
 * Polls /api/health until nothing is left to process and `ready` holds (or the timeout). A read that
 * fails counts as "not yet": the runtime may be restarting.
 */
export async function waitForIdle(url: string, ready: (health: Health) => boolean = () => true, timeoutMs = 30_000): Promise<Health> {
  return eventually(
    () => getJson<Health>(`${url}/api/health`),
    (health) => health.backlog.events === 0 && health.backlog.changes === 0 && ready(health),
    { what: 'the runtime to settle', timeoutMs, retryErrors: true },
  );
}

/** Waits until every accepted event is ingested and every stored detection is counted. */
export async function waitForDrain(url: string, timeoutMs = 120_000): Promise<Health> {
  return waitForIdle(url, () => true, timeoutMs);
}
