/**
 * Stopping from a terminal or a service manager: the runtime started the way users start it (`npm
 * start`, so npm and tsx wrap it), stopped by Ctrl-C typed into a real pseudo-terminal, or by SIGTERM
 * to its whole process group. Either way the signal arrives several times within milliseconds, the
 * embedded Azurite must not be hit by it, and the open capture window must reach storage before the
 * process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { decodeCaptureFile } from '../../shared/capture';
import { startAzurite } from '../../local/azurite';
import { stopSignalHandler } from '../../local/signals';
import { postEvents, removeDataDir, tempDataDir, waitForExit, waitForIdle } from '../support/runtime';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const EVENTS = 40;

interface Started {
  readonly wrapper: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly info: { url: string; pid: number; azuritePid: number | null };
  output(): string;
}

/** `npm start` in its own process group, directly or inside `script` (a pseudo-terminal whose input is ours). */
async function npmStart(dataDir: string, terminal: boolean): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    PARTITIONS: '2',
    // Only the graceful stop closes the window: the file it writes is the one under test.
    CAPTURE_WINDOW_SECONDS: '3600',
    LOG_LEVEL: 'info',
  };
  delete env['NODE_OPTIONS'];
  const [command, args] = terminal ? ['script', ['-qfec', 'npm start', '/dev/null']] : ['npm', ['start']];
  const wrapper = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  wrapper.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  wrapper.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => wrapper.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const info = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as Started['info'];
      return { wrapper, exited, info, output: () => text };
    } catch {
      if (Date.now() > deadline) {
        process.kill(-wrapper.pid!, 'SIGKILL');
        throw new Error(`the runtime did not start:\n${text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const event = (index: number) => ({
  geographical_location_oid: 1 + (index % 4),
  video_camera_oid: 7,
  detection_oid: 5_000 + index,
  item_name: 'bicycle',
  timestamp_detected: Date.now(),
});

/** The events of every capture file the runtime left in its embedded Azurite's data. */
async function capturedEvents(dataDir: string): Promise<number> {
  const azurite = await startAzurite({ location: join(dataDir, 'azurite') });
  try {
    const container = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString }).getContainerClient('capture');
    let events = 0;
    for await (const blob of container.listBlobsFlat()) {
      events += (await decodeCaptureFile(await container.getBlobClient(blob.name).downloadToBuffer())).events.length;
    }
    return events;
  } finally {
    await azurite.stop();
  }
}

async function runAndStop(terminal: boolean, stop: (started: Started) => void): Promise<{ output: string }> {
  const dataDir = tempDataDir('signals-');
  try {
    const started = await npmStart(dataDir, terminal);
    const answer = await postEvents(
      started.info.url,
      Array.from({ length: EVENTS }, (_, index) => event(index)),
    );
    expect(answer.status).toBe(202);
    await waitForIdle(started.info.url, (health) => health.counters.stored === EVENTS);
    stop(started);
    const code = await Promise.race([started.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    if (code === 'hung') process.kill(-started.wrapper.pid!, 'SIGKILL');
    expect(code).not.toBe('hung');
    expect(await waitForExit(started.info.pid)).toBe(true);
    if (started.info.azuritePid) expect(await waitForExit(started.info.azuritePid)).toBe(true);
    expect(await capturedEvents(dataDir)).toBe(EVENTS);
    return { output: started.output() };
  } finally {
    removeDataDir(dataDir);
  }
}

describe('stopping the runtime started with npm start', () => {
  it('Ctrl-C in a terminal: one graceful stop, Azurite untouched until the last capture file is written', async () => {
    const { output } = await runAndStop(true, (started) => started.wrapper.stdin?.write('\x03'));
    expect(output).toMatch(/SIGINT received/);
    expect(output).toMatch(/stopped/);
    expect(output).not.toMatch(/exiting now|not written after/);
  });

  it('SIGTERM to the whole process group: the relayed copies count as one, and everything is flushed', async () => {
    const { output } = await runAndStop(false, (started) => process.kill(-started.wrapper.pid!, 'SIGTERM'));
    // npm passes the signal on as its own way of exiting; what matters is how the runtime stopped.
    expect(output).toMatch(/SIGTERM received/);
    expect(output).toMatch(/stopped/);
    expect(output).not.toMatch(/exiting now|not written after/);
  });
});

describe('stopSignalHandler', () => {
  function handler() {
    let time = 0;
    const calls: string[] = [];
    const handle = stopSignalHandler({
      stop: (signal) => calls.push(`stop ${signal}`),
      force: (signal) => calls.push(`force ${signal}`),
      now: () => time,
    });
    return { handle, calls, at: (ms: number) => (time = ms) };
  }

  it('takes signals within a second of the first as the same request', () => {
    const { handle, calls, at } = handler();
    handle('SIGTERM');
    at(40);
    handle('SIGTERM');
    at(999);
    handle('SIGINT');
    expect(calls).toEqual(['stop SIGTERM']);
  });

  it('forces the exit on a signal that comes later, as a deliberate second Ctrl-C', () => {
    const { handle, calls, at } = handler();
    handle('SIGINT');
    at(30);
    handle('SIGINT');
    at(2_500);
    handle('SIGINT');
    expect(calls).toEqual(['stop SIGINT', 'force SIGINT']);
  });
});
