import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../support/memory';
import { decodeCaptureFile, InMemoryCaptureArchive, parseCaptureBlobName } from '../../shared/capture';
import { CaptureWriter, storeCaptureCheckpoints } from '../../local/capture';
import { EventLog } from '../../local/eventlog';
import { createLogger } from '../../local/log';
import { type LocalStore, openLocalStore } from '../../local/store';
import { eventually } from '../support/eventually';

jest.setTimeout(30_000);

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0, 250);
const location = { namespace: 'local', eventHub: 'detections' };

/** An archive whose writes can be made to fail, as an unreachable Azurite would. */
class FlakyArchive extends InMemoryCaptureArchive {
  failures = 0;
  override write(name: string, bytes: Uint8Array): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error('simulated: storage unreachable'));
    }
    return super.write(name, bytes);
  }
}

let dir: string;
let clock: ManualClock;
let log: EventLog;
let store: LocalStore;
let archive: FlakyArchive;
const writers: CaptureWriter[] = [];

async function openParts(): Promise<void> {
  log = (await EventLog.open({ dir: join(dir, 'log'), partitions: 2, clock })).log;
  store = openLocalStore(join(dir, 'store.db'), { dedupTtlSeconds: 3600, dedupPartitions: 8, clock });
}

function writer(options: { windowSeconds?: number; windowBytes?: number } = {}): CaptureWriter {
  const created = new CaptureWriter({
    log,
    checkpoints: storeCaptureCheckpoints(store.database, store.checkpoints),
    archive,
    windowSeconds: options.windowSeconds ?? 60,
    windowBytes: options.windowBytes ?? 10_000_000,
    clock,
    logger: createLogger('error', 'capture-test'),
    idlePollMs: 10,
  });
  writers.push(created);
  return created;
}

/** Appends events for a camera key that lands in partition 0 or 1; returns their bodies. */
async function append(partition: number, count: number, tag: string): Promise<string[]> {
  const key = [...Array(100).keys()].map(String).find((candidate) => log.partitionOf(candidate) === partition) as string;
  const bodies = Array.from({ length: count }, (_, index) => `{"tag":"${tag}","n":${index}}`);
  await log.append(bodies.map((body) => ({ key, body: Buffer.from(body) })));
  return bodies;
}

async function fileBodies(name: string): Promise<string[]> {
  const file = await decodeCaptureFile((await archive.read(name))!);
  return file.events.map((event) => Buffer.from(event.body!).toString('utf8'));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capture-test-'));
  clock = new ManualClock(T0);
  archive = new FlakyArchive(location);
  await openParts();
});

afterEach(async () => {
  for (const created of writers.splice(0)) await created.stop();
  await log.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CaptureWriter', () => {
  it('writes each time window of each partition to a Capture file named by partition and window start', async () => {
    const capture = writer();
    capture.start();
    const first = await append(0, 3, 'a');
    clock.advance(30_000);
    const second = await append(0, 2, 'b');
    const other = await append(1, 1, 'c');
    clock.advance(62_000); // both windows are over (plus the grace second): 10:01:00 and 10:01:30

    await eventually(
      () => [...archive.files.keys()].sort(),
      (names) => names.length === 2,
      'two files',
    );
    expect([...archive.files.keys()].sort()).toEqual([
      'local/detections/0/2026/11/22/10/00/00.avro',
      'local/detections/1/2026/11/22/10/00/30.avro',
    ]);
    expect(await fileBodies('local/detections/0/2026/11/22/10/00/00.avro')).toEqual([...first, ...second]);
    expect(await fileBodies('local/detections/1/2026/11/22/10/00/30.avro')).toEqual(other);

    const decoded = await decodeCaptureFile((await archive.read('local/detections/0/2026/11/22/10/00/00.avro'))!);
    expect(decoded.events.map((event) => event.sequenceNumber)).toEqual(['0', '1', '2', '3', '4']);
    expect(decoded.events[0]?.enqueuedTimeUtc).toBe('2026-11-22T10:00:00.250Z');
    expect(capture.position(0)).toBe(5);
    expect(store.checkpoints.getNow('eventlog/capture/0')).toBe(5);
    expect(capture.backlog()).toBe(0);
  });

  it('writes no file for a window without events', async () => {
    const capture = writer({ windowSeconds: 10 });
    capture.start();
    await append(0, 1, 'a');
    clock.advance(12_000);
    await eventually(
      () => archive.files.size,
      (size) => size === 1,
      'the first file',
    );
    clock.advance(120_000); // twelve empty windows
    await append(0, 1, 'b');
    clock.advance(12_000);
    await eventually(
      () => archive.files.size,
      (size) => size === 2,
      'the second file',
    );
    expect([...archive.files.keys()].map((name) => parseCaptureBlobName(name)?.timeMs)).toEqual([
      Date.UTC(2026, 10, 22, 10, 0, 0),
      Date.UTC(2026, 10, 22, 10, 2, 12),
    ]);
  });

  it('rolls by size, each file in its own second', async () => {
    const capture = writer({ windowBytes: 200 });
    capture.start();
    await append(0, 6, 'a'); // ~64-byte records: three per file
    await eventually(
      () => archive.files.size,
      (size) => size >= 1,
      'a size-rolled file',
    );
    await capture.stop(); // flushes the rest
    expect([...archive.files.keys()]).toEqual([
      'local/detections/0/2026/11/22/10/00/00.avro',
      'local/detections/0/2026/11/22/10/00/01.avro',
    ]);
    expect((await fileBodies('local/detections/0/2026/11/22/10/00/01.avro')).length).toBe(3);
  });

  it('flushes the open window on a graceful stop', async () => {
    const capture = writer();
    capture.start();
    const bodies = await append(1, 4, 'a');
    await capture.stop();
    expect(await fileBodies('local/detections/1/2026/11/22/10/00/00.avro')).toEqual(bodies);
    expect(capture.position(1)).toBe(4);
  });

  it('moves the checkpoint only after the upload succeeded, retrying until it does', async () => {
    const capture = writer({ windowSeconds: 5 });
    capture.start();
    archive.failures = 2;
    await append(0, 2, 'a');
    clock.advance(7_000);
    await eventually(
      () => archive.files.size,
      (size) => size === 1,
      'the file after two failed uploads',
    );
    expect(archive.failures).toBe(0);
    expect(store.checkpoints.getNow('eventlog/capture/0')).toBe(2);
  });

  it('after a crash, captures the same events under the same names again, adding no file', async () => {
    const bodies = await append(0, 3, 'a');
    clock.advance(20_000);
    await append(0, 2, 'b');
    const firstRun = writer({ windowSeconds: 10 });
    firstRun.start();
    clock.advance(12_000);
    await eventually(
      () => archive.files.size,
      (size) => size === 2,
      'both files',
    );
    const names = [...archive.files.keys()];
    const secondBytes = archive.files.get(names[1]!)!;

    // Crash before the second file's checkpoint was committed: roll its checkpoint back by hand.
    await firstRun.stop();
    await store.checkpoints.set('eventlog/capture/0', 3);
    await store.checkpoints.set('capture/start/0', Date.UTC(2026, 10, 22, 10, 0, 0));
    const writesBefore = archive.writes;

    const secondRun = writer({ windowSeconds: 10 });
    secondRun.start();
    await eventually(
      () => archive.writes,
      (writes) => writes > writesBefore,
      'the rewrite',
    );
    expect([...archive.files.keys()]).toEqual(names);
    expect(Buffer.from(archive.files.get(names[1]!)!).equals(Buffer.from(secondBytes))).toBe(true);
    expect(await fileBodies(names[0]!)).toEqual(bodies);
  });

  it('resumes after a restart where it stopped', async () => {
    const first = writer();
    first.start();
    await append(0, 2, 'a');
    await first.stop();
    const afterFirst = [...archive.files.keys()];

    clock.advance(90_000);
    const later = await append(0, 1, 'b');
    const second = writer();
    second.start();
    await second.stop();
    const added = [...archive.files.keys()].filter((name) => !afterFirst.includes(name));
    expect(added).toEqual(['local/detections/0/2026/11/22/10/01/30.avro']);
    expect(await fileBodies(added[0]!)).toEqual(later);
  });
});
