/**
 * The store worker (the SQLite store and the pumps, on a thread of their own): if it dies, the
 * runtime says why and exits instead of accepting events it can no longer count; a restart counts
 * every event that got a 202, once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDataDir, tempDataDir } from '../../tools/lib/runtime';
import { getJson, type Health, postEvents, startTestRuntime, waitForIdle } from '../support/runtime';

jest.setTimeout(120_000);

const CRASH_HOOK = join(__dirname, '..', 'support', 'storeWorkerCrash.ts');
const BASE_MS = Date.UTC(2026, 10, 22, 8, 0);

const events = (from: number, count: number): unknown[] =>
  Array.from({ length: count }, (_, index) => ({
    geographical_location_oid: 1 + ((from + index) % 3),
    video_camera_oid: 7 + ((from + index) % 5),
    detection_oid: 1_000 + from + index,
    item_name: 'bicycle',
    timestamp_detected: BASE_MS + (from + index) * 1_000,
  }));

let dataDir: string;

beforeEach(() => {
  dataDir = tempDataDir('store-worker-');
});

afterEach(() => removeDataDir(dataDir));

describe('the store worker', () => {
  it('stops the runtime with a clear error when it dies, and a restart counts every acknowledged event once', async () => {
    const trigger = join(dataDir, 'crash-now');
    const runtime = await startTestRuntime({
      dataDir,
      nodeArgs: ['--import', 'tsx', '--import', CRASH_HOOK],
      env: { CRASH_STORE_WORKER: trigger },
    });
    expect((await postEvents(runtime.url, events(0, 300))).status).toBe(202);
    await waitForIdle(runtime.url, (health) => health.counters.stored === 300);
    expect((await postEvents(runtime.url, events(300, 200))).status).toBe(202);

    writeFileSync(trigger, '');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 30_000)));
    const exit = await Promise.race([runtime.exited, hung]);
    clearTimeout(timer);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(runtime.output()).toMatch(/the store worker failed: .*injected store worker crash/);
    await runtime.stop();

    const restarted = await startTestRuntime({ dataDir });
    try {
      const health = await waitForIdle(restarted.url, (current) => current.counters.stored === 500);
      expect(health.counters).toMatchObject({ accepted: 500, stored: 500, duplicates: 0 });
      const rows = await getJson<{ item_name: string; item_count: number }[]>(`${restarted.url}/api/top-items?top=10`);
      expect(rows.reduce((sum, row) => sum + row.item_count, 0)).toBe(500);
    } finally {
      await restarted.stop();
    }
  });

  it('answers the read routes it serves through the main thread', async () => {
    const runtime = await startTestRuntime({ dataDir });
    try {
      expect((await postEvents(runtime.url, events(0, 30))).status).toBe(202);
      await waitForIdle(runtime.url, (health) => health.counters.stored === 30);
      const health = await getJson<Health>(`${runtime.url}/api/health`);
      expect(health.counters.accepted).toBe(30);
      const response = await fetch(`${runtime.url}/api/top-items?top=1`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    } finally {
      await runtime.stop();
    }
  });
});
