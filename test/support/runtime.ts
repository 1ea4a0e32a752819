/**
 * Starts the local runtime (`local/main.ts`) as a child process for tests: a temporary DATA_DIR
 * (or a given one, to restart on the same data), PORT=0, and the URL read from DATA_DIR/runtime.json.
 * The child is node itself with tsx loaded, so its pid is the runtime's and kill -9 hits the runtime.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, until } from './eventually';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 60_000;

export interface RuntimeJson {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly blobEndpoint: string;
  readonly azuritePid: number | null;
  readonly partitions: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RuntimeProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly info: RuntimeJson;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Everything the runtime printed so far. */
  output(): string;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  /** kill -9: no flush, no goodbye. */
  kill9(): Promise<Exit>;
}

const running = new Set<ChildProcess>();
// A test that fails half-way must not leave runtimes behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function tempDataDir(prefix = 'runtime-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

/** Waits until a process is gone (the runtime's Azurite follows it within a few seconds). */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return until(() => !alive(), { what: `process ${pid} to exit`, timeoutMs }).then(
    () => true,
    () => false,
  );
}

/** Runs the runtime until it exits on its own (a startup failure), returning its exit and output. */
export async function runToExit(env: Record<string, string>, timeoutMs = START_TIMEOUT_MS): Promise<Exit & { output: string }> {
  const { child, exited, output } = spawnRuntime(env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await exited;
  clearTimeout(timer);
  return { ...exit, output: output() };
}

export interface StartOptions {
  /** Restart on an existing data directory; a new temporary one otherwise. */
  readonly dataDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--require <fault hook>`. */
  readonly nodeArgs?: readonly string[];
}

export async function startRuntimeProcess(options: StartOptions = {}): Promise<RuntimeProcess> {
  const dataDir = options.dataDir ?? tempDataDir();
  const { child, exited, output } = spawnRuntime({ ...options.env, DATA_DIR: dataDir, PORT: '0' }, options.nodeArgs);
  let exit: Exit | undefined;
  void exited.then((value) => (exit = value));

  const readOwnRuntimeJson = (): RuntimeJson | undefined => {
    if (exit) throw new Error(`the runtime exited (${String(exit.code ?? exit.signal)}) while starting:\n${output()}`);
    const candidate = readRuntimeJson(dataDir);
    // A runtime.json left by a killed predecessor names another pid: wait for this one's.
    return candidate?.pid === child.pid ? candidate : undefined;
  };
  const info = await eventually(readOwnRuntimeJson, (found): found is RuntimeJson => found !== undefined, {
    what: 'runtime.json',
    timeoutMs: START_TIMEOUT_MS,
  }).catch((error: Error) => {
    if (exit) throw error;
    child.kill('SIGKILL');
    throw new Error(`the runtime did not start: ${error.message}\n${output()}`);
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> => {
    if (!exit) child.kill(signal);
    const result = await exited;
    // Its Azurite writes under DATA_DIR until it has followed the runtime out.
    if (info?.azuritePid) await waitForExit(info.azuritePid);
    return result;
  };
  return { url: info.url, dataDir, info, child, exited, output, stop, kill9: () => stop('SIGKILL') };
}

function spawnRuntime(
  env: Readonly<Record<string, string>>,
  nodeArgs: readonly string[] = [],
): { child: ChildProcess; exited: Promise<Exit>; output: () => string } {
  // The tests post events at fixed 2026 times: a retention of a century keeps their hours served
  // whenever the tests run (a test of retention sets its own).
  const childEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'info', HOURLY_RETENTION_DAYS: '36500', ...env };
  // The test runner's own settings must not leak into the runtime's configuration.
  delete childEnv['NODE_OPTIONS'];
  delete childEnv['FAULTS'];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'local', 'main.ts')], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let text = '';
  const keep = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > 200_000) text = text.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, output: () => text };
}

function readRuntimeJson(dataDir: string): RuntimeJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeJson;
  } catch {
    return undefined;
  }
}

export interface HealthJson {
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

/** Polls /api/health until nothing is left to process and `ready` holds (or the timeout). */
export async function waitForIdle(
  url: string,
  ready: (health: HealthJson) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<HealthJson> {
  return eventually(
    () => getJson<HealthJson>(`${url}/api/health`),
    (health) => health.backlog.events === 0 && health.backlog.changes === 0 && ready(health),
    { what: 'the runtime to settle', timeoutMs },
  );
}
