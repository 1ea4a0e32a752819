/**
 * The local `accepted` counter is the event log's own record count, so it cannot miss events that
 * became durable while the process died (or the store failed) before a separate counter was added.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, EventLogPublisher } from '../../local/eventlog';
import { EventLogMetrics } from '../../local/metrics';
import { type LocalStore, openLocalStore } from '../../local/store';
import { acceptEvents } from '../../shared/pipeline/acceptEvents';
import { InMemoryDeadLetters, ManualClock } from '../support/memory';

let workspace: string;
const logs: EventLog[] = [];
const stores: LocalStore[] = [];

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'local-metrics-'));
});

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
  for (const store of stores.splice(0)) await store.close();
  rmSync(workspace, { recursive: true, force: true });
});

async function openLog(segmentBytes?: number): Promise<EventLog> {
  const { log } = await EventLog.open({ dir: join(workspace, 'eventlog'), partitions: 3, ...(segmentBytes ? { segmentBytes } : {}) });
  logs.push(log);
  return log;
}

function openStore(): LocalStore {
  const store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 60, dedupPartitions: 64 });
  stores.push(store);
  return store;
}

const detection = (id: number) => ({
  geographical_location_oid: '1',
  video_camera_oid: String(id % 7),
  detection_oid: String(id),
  item_name: 'car',
  timestamp_detected: Date.UTC(2026, 10, 22, 10, 5),
});

describe('EventLogMetrics', () => {
  it('counts as accepted every record in the log, including ones whose counter update never ran', async () => {
    const log = await openLog();
    const store = openStore();
    const metrics = new EventLogMetrics(store.metrics, log);
    // Published, then the process died before any counter was added: the window a kill -9 hits.
    await new EventLogPublisher(log).publish([1, 2, 3, 4, 5].map(detection));
    expect((await metrics.read()).accepted).toBe(5);
  });

  it('drops accepted deltas and keeps every other counter in the store', async () => {
    const log = await openLog();
    const store = openStore();
    const metrics = new EventLogMetrics(store.metrics, log);
    await metrics.add({ accepted: 40, invalid: 2, stored: 3, duplicates: 1 });
    expect(await metrics.read()).toEqual({ accepted: 0, stored: 3, duplicates: 1, conflicts: 0, invalid: 2, unknown_location: 0 });
    expect((await store.metrics.read()).accepted).toBe(0);
  });

  it('counts what acceptEvents published even when the store refuses the counter update', async () => {
    const log = await openLog();
    const store = openStore();
    const metrics = new EventLogMetrics(
      {
        add: () => Promise.reject(new Error('database or disk is full')),
        read: () => store.metrics.read(),
      },
      log,
    );
    const deps = { publisher: new EventLogPublisher(log), deadLetters: new InMemoryDeadLetters(), metrics, clock: new ManualClock() };
    const body = JSON.stringify([detection(1), detection(2), { not: 'an event' }]);
    await expect(acceptEvents(body, 'r1', deps)).rejects.toThrow('disk is full');
    // The client retries the whole body: both copies are in the log, and both count as accepted.
    await expect(acceptEvents(body, 'r1', deps)).rejects.toThrow('disk is full');
    expect((await metrics.read()).accepted).toBe(4);
  });

  it('keeps the count across a restart and after consumed segments are deleted', async () => {
    let log = await openLog(256);
    const store = openStore();
    const publisher = new EventLogPublisher(log);
    for (let id = 1; id <= 60; id += 1) await publisher.publish([detection(id)]);
    expect((await new EventLogMetrics(store.metrics, log).read()).accepted).toBe(60);

    const segments = (): number =>
      [0, 1, 2].reduce((sum, partition) => sum + readdirSync(join(workspace, 'eventlog', String(partition))).length, 0);
    const before = segments();
    for (let partition = 0; partition < log.partitionCount; partition += 1) log.retainFrom(partition, log.endSequence(partition));
    expect(segments()).toBeLessThan(before);
    expect((await new EventLogMetrics(store.metrics, log).read()).accepted).toBe(60);

    await log.close();
    logs.splice(0);
    log = await openLog(256);
    expect((await new EventLogMetrics(store.metrics, log).read()).accepted).toBe(60);
  });
});
