/**
 * Starts the real local runtime (`local/main.ts`) as a child process on a free loopback port, and
 * lets a test stop it gracefully, kill it with SIGKILL, or start it again on the same data directory.
 * The child is node itself (tsx loaded with --import), so its pid is the runtime's pid and kill -9
 * hits the runtime, not a wrapper.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 90_000;

export interface RuntimeInfo {
  readonly url: string;
  readonly pid: number;
  readonly blobEndpoint: string;
  readonly partitions: number;
}

export interface RunningRuntime extends RuntimeInfo {
  readonly child: ChildProcess;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no flush, no goodbye. */
  kill9(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LaunchOptions {
  readonly dataDir: string;
  /** Settings for the runtime (PORT is always 0 and DATA_DIR is `dataDir`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--require <hook>`. */
  readonly nodeArgs?: readonly string[];
}

export async function launchRuntime(options: LaunchOptions): Promise<RunningRuntime> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env, DATA_DIR: options.dataDir, PORT: '0' };
  // The fault suite's own settings must not leak into the runtime's configuration.
  delete env['FAULTS'];
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'local', 'main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const infoPath = join(options.dataDir, 'runtime.json');
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (hasExited) throw new Error(`the runtime exited while starting:\n${output}`);
    const info = readInfo(infoPath);
    // A runtime.json left by a killed predecessor names another pid: wait for ours.
    if (info && info.pid === child.pid) {
      return {
        ...info,
        child,
        output: () => output,
        exited,
        stop: async () => {
          if (!hasExited) child.kill('SIGTERM');
          return (await exited).code;
        },
        kill9: async () => {
          if (!hasExited) child.kill('SIGKILL');
          await exited;
        },
      };
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the runtime did not start within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function readInfo(path: string): RuntimeInfo | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

export interface Health {
  status: string;
  counters: { accepted: number; stored: number; duplicates: number; conflicts: number; invalid: number; unknown_location: number };
  backlog: { events: number | null; changes: number | null };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Waits until every accepted event is ingested and every stored detection is counted. */
export async function waitForDrain(baseUrl: string, timeoutMs = 120_000): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  let last: Health | undefined;
  for (;;) {
    try {
      last = await getJson<Health>(`${baseUrl}/api/health`);
      if (last.backlog.events === 0 && last.backlog.changes === 0) return last;
    } catch {
      // Not answering yet, or restarting.
    }
    if (Date.now() > deadline) throw new Error(`the backlog did not drain within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
