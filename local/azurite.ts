import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, freePort } from './net';

export interface AzuriteOptions {
  /** Azurite's workspace (its metadata and blob data). */
  readonly location: string;
  /** Fixed blob port; a free one on 127.0.0.1 when omitted or 0. */
  readonly blobPort?: number;
  readonly startTimeoutMs?: number;
}

export interface Azurite {
  readonly connectionString: string;
  readonly blobEndpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Azurite's well-known development account. The key is public and documented by Microsoft for the
 * emulator; it is not a secret and opens nothing but a local Azurite.
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const REPO_ROOT = join(__dirname, '..');
const AZURITE_BLOB_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'azurite-blob');
const WATCHDOG = join(__dirname, 'azurite-watchdog.cjs');
const STOP_TIMEOUT_MS = 5_000;

export function azuriteConnectionString(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
}

/**
 * Starts Azurite's blob service as a child process on loopback and waits until it accepts
 * connections. The child runs in a process group of its own, so a terminal's signals reach only the
 * runtime, which stops it once everything is flushed. It is tied to this process through an IPC
 * channel and exits when it closes, so it does not outlive a runtime killed with kill -9.
 */
export async function startAzurite(options: AzuriteOptions): Promise<Azurite> {
  mkdirSync(options.location, { recursive: true });
  const port = options.blobPort || (await freePort());
  const args = [
    '--require',
    WATCHDOG,
    AZURITE_BLOB_BIN,
    '--silent',
    '--location',
    options.location,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
  ];
  // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and Azurite must
  // outlive the runtime's graceful stop (the last capture files go to it). The runtime stops it last.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 8192) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The channel must not keep the runtime alive on its own.
  child.unref();
  child.channel?.unref();

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`Azurite exited with code ${String(exitCode)} while starting: ${stderr.trim() || 'no output'}`);
    }
    if (await canConnect('127.0.0.1', port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Azurite did not listen on 127.0.0.1:${port} within the start timeout: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: azuriteConnectionString(blobEndpoint),
    blobEndpoint,
    pid: child.pid,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Azurite shuts down cleanly (saving its metadata) on SIGTERM; SIGKILL if it hangs.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
