/**
 * A flatter view of the launcher (runtime.ts) for the tests that restart, kill -9 or load the
 * runtime: its pid, restart on the same data, and a drain wait that tolerates a runtime that is
 * restarting.
 */
import type { ChildProcess } from 'node:child_process';
import { eventually } from './eventually';
import { getJson, startRuntimeProcess } from './runtime';

export { getJson };

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
  const runtime = await startRuntimeProcess(options);
  return {
    url: runtime.url,
    pid: runtime.info.pid,
    blobEndpoint: runtime.info.blobEndpoint,
    partitions: runtime.info.partitions,
    child: runtime.child,
    output: runtime.output,
    exited: runtime.exited,
    stop: async () => (await runtime.stop('SIGTERM')).code,
    kill9: async () => {
      await runtime.kill9();
    },
  };
}

export interface Health {
  status: string;
  counters: { accepted: number; stored: number; duplicates: number; conflicts: number; invalid: number; unknown_location: number };
  backlog: { events: number | null; changes: number | null };
}

/** Waits until every accepted event is ingested and every stored detection is counted. */
export async function waitForDrain(baseUrl: string, timeoutMs = 120_000): Promise<Health> {
  return eventually(
    () => getJson<Health>(`${baseUrl}/api/health`),
    (health) => health.backlog.events === 0 && health.backlog.changes === 0,
    { what: 'the backlog to drain', timeoutMs, intervalMs: 200, retryErrors: true },
  );
}
