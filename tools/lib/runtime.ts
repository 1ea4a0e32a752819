/**
 * The one launcher of the local runtime (`local/main.ts`) as a child process, for the tests, the
 * benchmark and the Power BI preview: a given DATA_DIR, PORT=0, and the URL read from the
 * DATA_DIR/runtime.json that names this child's pid (not one left by a killed predecessor). The child
 * is node itself with tsx loaded, not the tsx CLI, so its pid is the runtime's: signals, kill -9 and
 * /proc readings hit the runtime, not a wrapper.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { descendantsOf, readVmMb } from './proc';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;
const KEEP_OUTPUT_CHARS = 200_000;

/** What the runtime writes to DATA_DIR/runtime.json once it serves. */
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

export interface SpawnOptions {
  readonly dataDir: string;
  /** Settings for the runtime; PORT is 0 and HOST loopback unless given, DATA_DIR is always `dataDir`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Settings of this process the runtime must not inherit, e.g. a test runner's NODE_OPTIONS. */
  readonly unset?: readonly string[];
  /** Extra node flags, e.g. `--require <fault hook>` or `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** Append the output to this file rather than keep it in memory: nothing passes through us (a benchmark's CPU). */
  readonly logFile?: string;
  /** Also copy the runtime's stderr to ours as it comes (a CLI showing the runtime's warnings). */
  readonly echoStderr?: boolean;
  /**
   * Start it the way a user does, through this command (e.g. `npm start`), in a process group of its
   * own and with our pipe as its input; the runtime is then a descendant of the child, not the child.
   */
  readonly command?: readonly [file: string, args: readonly string[]];
}

export interface StartOptions extends SpawnOptions {
  readonly startTimeoutMs?: number;
  /** Also wait until /api/health answers `ready`. */
  readonly untilReady?: boolean;
}

export interface RuntimeProcess {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly info: RuntimeJson;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Everything the runtime printed so far (the last 200,000 characters). */
  output(): string;
  /**
   * Sends `signal` (SIGTERM by default), SIGKILL after `graceMs`, and waits for the exit and for the
   * runtime's Azurite to follow it out (it writes under DATA_DIR until then).
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
  /** kill -9: no flush, no goodbye. */
  kill9(): Promise<Exit>;
  /** Peak resident set (VmHWM) in MB, or null when /proc cannot tell. */
  peakRssMb(): number | null;
  /** Current resident set of the runtime's child processes in MB (the embedded Azurite), or null. */
  childrenRssMb(): number | null;
}

export class RuntimeStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- runtime output (last lines) ---\n${lastLines(output)}`);
    this.name = 'RuntimeStartError';
  }
}

/** Children still running, and how to kill each with everything it started. */
const running = new Map<ChildProcess, () => void>();
// A caller that fails half-way must not leave runtimes behind.
process.once('exit', () => {
  for (const kill of running.values()) kill();
});

export function tempDataDir(prefix = 'runtime-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until a process is gone (the runtime's Azurite follows it within a few seconds); false on timeout. */
export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** Parses runtime.json (the URL without a trailing slash), or null when it lacks the URL or the pid. */
export function parseRuntimeJson(text: string): RuntimeJson | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  if (typeof record['url'] !== 'string' || record['url'] === '' || typeof record['pid'] !== 'number') return null;
  return { ...record, url: record['url'].replace(/\/$/, '') } as unknown as RuntimeJson;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** The exit once it happened, for checks that must not wait. */
  readonly exit: () => Exit | undefined;
  readonly output: () => string;
}

export function spawnRuntime(options: SpawnOptions): Spawned {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    ...options.env,
    DATA_DIR: options.dataDir,
  };
  for (const name of options.unset ?? []) delete env[name];
  const [file, args] = options.command ?? [
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'local', 'main.ts')],
  ];
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    const input = options.command ? 'pipe' : 'ignore';
    child = spawn(file, args, { cwd: ROOT, env, detached: options.command !== undefined, stdio: [input, log ?? 'pipe', log ?? 'pipe'] });
  } finally {
    if (log !== undefined) closeSync(log);
  }
  running.set(child, () => (options.command && child.pid ? process.kill(-child.pid, 'SIGKILL') : child.kill('SIGKILL')));
  const output = options.logFile === undefined ? keepOutput(child, options.echoStderr) : () => readTail(options.logFile!);
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      resolve(exit);
    }),
  );
  return { child, exited, exit: () => exit, output };
}

/** Keeps what the child prints in memory, the last 200,000 characters. */
function keepOutput(child: ChildProcess, echoStderr = false): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > KEEP_OUTPUT_CHARS) text = text.slice(-KEEP_OUTPUT_CHARS / 2);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (echoStderr) child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return () => text;
}

/** Runs the runtime until it exits on its own (a startup failure), returning its exit and output. */
export async function runToExit(options: SpawnOptions, timeoutMs = START_TIMEOUT_MS): Promise<Exit & { output: string }> {
  const { child, exited, output } = spawnRuntime(options);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await exited;
  clearTimeout(timer);
  return { ...exit, output: output() };
}

interface AwaitRuntimeJson {
  readonly dataDir: string;
  /** Whether the runtime that wrote runtime.json is the one we started: a killed predecessor's names another pid. */
  readonly ours: (pid: number) => boolean;
  /** Set once what we started has exited: no runtime.json will come. */
  readonly exit: () => Exit | undefined;
  readonly output: () => string;
  readonly timeoutMs?: number;
}

/** Waits for the runtime.json of the runtime we started; throws a RuntimeStartError on exit or timeout. */
async function awaitRuntimeJson(wait: AwaitRuntimeJson): Promise<RuntimeJson> {
  const timeoutMs = wait.timeoutMs ?? START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = wait.exit();
    if (exit) throw new RuntimeStartError(`the runtime exited (${String(exit.code ?? exit.signal)}) while starting`, wait.output());
    const info = readRuntimeJson(wait.dataDir);
    if (info && wait.ours(info.pid)) return info;
    if (Date.now() > deadline) throw new RuntimeStartError(`the runtime did not write runtime.json within ${timeoutMs} ms`, wait.output());
    await sleep(50);
  }
}

/** Starts the runtime and waits until it serves (and, with `untilReady`, reports ready). */
export async function startRuntime(options: StartOptions): Promise<RuntimeProcess> {
  const spawned = spawnRuntime(options);
  const { child, exited, output } = spawned;
  const pid = child.pid;
  let info: RuntimeJson;
  try {
    if (pid === undefined) throw new RuntimeStartError('the runtime process did not start', output());
    const timeoutMs = options.startTimeoutMs ?? START_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    // A runtime.json left by a killed predecessor names another pid: wait for this one's.
    const ours = (written: number) => (options.command ? descendantsOf(pid).includes(written) : written === pid);
    info = await awaitRuntimeJson({ dataDir: options.dataDir, ours, exit: spawned.exit, output, timeoutMs });
    if (options.untilReady) await awaitReady(info.url, spawned, deadline);
  } catch (error) {
    running.get(child)?.();
    throw error;
  }

  const send = (signal: NodeJS.Signals) => (options.command ? process.kill(-pid, signal) : child.kill(signal));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = STOP_GRACE_MS): Promise<Exit> => {
    if (!spawned.exit()) send(signal);
    const timer = setTimeout(() => running.get(child)?.(), graceMs);
    const result = await exited.finally(() => clearTimeout(timer));
    // Through a command, the runtime may outlive the child by a moment; its Azurite writes under DATA_DIR until it has followed it out.
    for (const follower of [info.pid, info.azuritePid]) if (follower) await waitForExit(follower);
    return result;
  };
  return {
    url: info.url,
    pid: info.pid,
    dataDir: options.dataDir,
    info,
    child,
    exited,
    output,
    stop,
    kill9: () => stop('SIGKILL'),
    peakRssMb: () => readVmMb(info.pid, 'VmHWM'),
    childrenRssMb: () => {
      const children = descendantsOf(info.pid);
      if (children.length === 0) return null;
      return Math.round(children.reduce((sum, one) => sum + (readVmMb(one, 'VmRSS') ?? 0), 0) * 10) / 10;
    },
  };
}

async function awaitReady(url: string, spawned: Spawned, deadline: number): Promise<void> {
  for (;;) {
    const exit = spawned.exit();
    if (exit) throw new RuntimeStartError(`the runtime exited (${String(exit.code ?? exit.signal)}) while starting`, spawned.output());
    try {
      const response = await fetch(`${url}/api/health`);
      const body = (await response.json()) as { status?: string };
      if (response.ok && body.status === 'ready') return;
    } catch {
      // Not answering yet.
    }
    if (Date.now() > deadline) throw new RuntimeStartError('the runtime did not report ready in time', spawned.output());
    await sleep(200);
  }
}

function readRuntimeJson(dataDir: string): RuntimeJson | null {
  try {
    return parseRuntimeJson(readFileSync(join(dataDir, 'runtime.json'), 'utf8'));
  } catch {
    return null;
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-KEEP_OUTPUT_CHARS);
  } catch {
    return '';
  }
}

function lastLines(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n') || '(no output)';
}
