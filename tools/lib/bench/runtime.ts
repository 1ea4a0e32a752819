/**
 * Starts the local runtime as a child process of its own (so its memory is measured apart from the
 * benchmark's), waits until it serves, reads its peak RSS from /proc, and stops it gracefully.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RuntimeOptions {
  readonly projectRoot: string;
  readonly dataDir: string;
  /** Extra environment for the runtime, e.g. PARTITIONS or INGEST_BATCH_SIZE. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs?: number;
}

export interface RuntimeHandle {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  /** Peak resident set (VmHWM) in MB, or null when /proc cannot tell. */
  peakRssMb(): number | null;
  /** Current resident set of the runtime's child processes in MB (the embedded Azurite), or null. */
  childrenRssMb(): number | null;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code (null when killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
}

export class RuntimeStartError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(`${message}\n--- runtime log (last lines) ---\n${logTail}`);
    this.name = 'RuntimeStartError';
  }
}

/** Reads a `Vm*:` line of /proc/<pid>/status in MB. */
export function readVmMb(pid: number, field: 'VmHWM' | 'VmRSS', procRoot = '/proc'): number | null {
  try {
    const status = readFileSync(path.join(procRoot, String(pid), 'status'), 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Direct and indirect children of a process, from /proc/<pid>/task/<tid>/children. */
export function descendantsOf(pid: number, procRoot = '/proc'): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(path.join(procRoot, String(parent), 'task'));
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(path.join(procRoot, String(parent), 'task', task, 'children'), 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

/** The runtime writes DATA_DIR/runtime.json once it listens; it names the URL (or the port). */
export function urlFromRuntimeFile(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  if (typeof record['url'] === 'string' && record['url'] !== '') return record['url'].replace(/\/$/, '');
  if (typeof record['port'] === 'number')
    return `http://${typeof record['host'] === 'string' ? record['host'] : '127.0.0.1'}:${record['port']}`;
  return null;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startRuntime(options: RuntimeOptions): Promise<RuntimeHandle> {
  const logFile = path.join(options.dataDir, 'runtime.log');
  const runtimeFile = path.join(options.dataDir, 'runtime.json');
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // node --import tsx, not the tsx CLI: the CLI would put a wrapper process between us and the runtime.
    child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', path.join(options.projectRoot, 'local', 'main.ts')], {
      cwd: options.projectRoot,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...options.env, DATA_DIR: options.dataDir },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) throw new RuntimeStartError('the runtime process did not start', tail(logFile));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  let url: string | null = null;
  while (url === null) {
    if (exitCode !== undefined)
      throw new RuntimeStartError(`the runtime exited with code ${String(exitCode)} before it listened`, tail(logFile));
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RuntimeStartError(`the runtime did not write ${runtimeFile} in time`, tail(logFile));
    }
    if (existsSync(runtimeFile)) url = urlFromRuntimeFile(readFileSync(runtimeFile, 'utf8'));
    if (url === null) await sleep(100);
  }
  for (;;) {
    if (exitCode !== undefined)
      throw new RuntimeStartError(`the runtime exited with code ${String(exitCode)} while starting`, tail(logFile));
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RuntimeStartError('the runtime did not report ready in time', tail(logFile));
    }
    try {
      const response = await fetch(`${url}/api/health`);
      const body = (await response.json()) as { status?: string };
      if (response.ok && body.status === 'ready') break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }

  const runtimeUrl = url;
  return {
    url: runtimeUrl,
    pid,
    logFile,
    peakRssMb: () => readVmMb(pid, 'VmHWM'),
    childrenRssMb: () => {
      const children = descendantsOf(pid);
      if (children.length === 0) return null;
      return Math.round(children.reduce((sum, child) => sum + (readVmMb(child, 'VmRSS') ?? 0), 0) * 10) / 10;
    },
    stop: async (graceMs = 30_000) => {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux everywhere in practice). */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system) each thread of a process has used so far, by thread name: `main`,
 * `other node threads` (V8's helper threads for concurrent GC and compilation, worker threads),
 * `libuv-worker` (the pool); threads of one name are summed. CPU time, unlike wall time, hardly depends on what else the
 * machine runs, so it steers better on a shared machine. Empty when /proc cannot tell.
 */
export function readThreadCpu(pid: number, procRoot = '/proc'): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(path.join(procRoot, String(pid), 'task'));
  } catch {
    return byName;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(path.join(procRoot, String(pid), 'task', task, 'stat'), 'utf8');
      // "tid (comm) state ppid …": comm may hold spaces or parentheses, so split after its last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Every thread but libuv's keeps the process's name: tell the main thread (tid = pid) apart.
      const name = task === String(pid) ? 'main' : comm === 'node' ? 'other node threads' : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      byName.set(name, (byName.get(name) ?? 0) + seconds);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** The CPU each thread name used between two `readThreadCpu` readings, in µs per event, largest first. */
export function cpuPerEvent(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, events: number): [string, number][] {
  if (events <= 0) return [];
  return [...after]
    .map(([name, seconds]): [string, number] => [name, ((seconds - (before.get(name) ?? 0)) * 1e6) / events])
    .filter(([, us]) => us > 0)
    .sort((a, b) => b[1] - a[1]);
}
