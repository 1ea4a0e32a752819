/**
 * Stopping from a terminal or a service manager: the runtime started the way users start it (`npm
 * start`, so npm and tsx wrap it), stopped by Ctrl-C typed into a real pseudo-terminal, or by SIGTERM
 * to its whole process group. Either way the signal arrives several times within milliseconds, the
 * embedded Azurite must not be hit by it, and the open capture window must reach storage before the
 * process exits.
 */
import { join } from 'node:path';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { decodeCaptureFile } from '../../shared/capture';
import { startAzurite } from '../../local/azurite';
import { stopSignalHandler } from '../../local/signals';
import { postEvents, waitForIdle } from '../support/runtime';
import { removeDataDir, type RuntimeProcess, startRuntime, tempDataDir, waitForExit } from '../../tools/lib/runtime';

jest.setTimeout(120_000);

const EVENTS = 40;

/** `npm start` in its own process group, directly or inside `script` (a pseudo-terminal whose input is ours). */
function npmStart(dataDir: string, terminal: boolean): Promise<RuntimeProcess> {
  return startRuntime({
    dataDir,
    // Only the graceful stop closes the window: the file it writes is the one under test.
    env: { PARTITIONS: '2', CAPTURE_WINDOW_SECONDS: '3600', LOG_LEVEL: 'info' },
    unset: ['NODE_OPTIONS'],
    command: terminal ? ['script', ['-qfec', 'npm start', '/dev/null']] : ['npm', ['start']],
  });
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

async function runAndStop(terminal: boolean, stop: (started: RuntimeProcess) => void): Promise<{ output: string }> {
  const dataDir = tempDataDir('signals-');
  try {
    const started = await npmStart(dataDir, terminal);
    const answer = await postEvents(
      started.url,
      Array.from({ length: EVENTS }, (_, index) => event(index)),
    );
    expect(answer.status).toBe(202);
    await waitForIdle(started.url, (health) => health.counters.stored === EVENTS);
    stop(started);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      started.exited.then((exit) => exit.code),
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 30_000))),
    ]).finally(() => clearTimeout(timer));
    if (code === 'hung') await started.kill9();
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
    const { output } = await runAndStop(true, (started) => started.child.stdin?.write('\x03'));
    expect(output).toMatch(/SIGINT received/);
    expect(output).toMatch(/stopped/);
    expect(output).not.toMatch(/exiting now|not written after/);
  });

  it('SIGTERM to the whole process group: the relayed copies count as one, and everything is flushed', async () => {
    const { output } = await runAndStop(false, (started) => process.kill(-started.child.pid!, 'SIGTERM'));
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
