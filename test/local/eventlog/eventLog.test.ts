import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOfKey } from '../../../shared/domain/partitioning';
import { EventLog, EventLogPublisher } from '../../../local/eventlog';

let workspace: string;
const logs: EventLog[] = [];

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'eventlog-'));
});

afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
  rmSync(workspace, { recursive: true, force: true });
});

async function open(partitions = 2, segmentBytes?: number): Promise<Awaited<ReturnType<typeof EventLog.open>>> {
  const opened = await EventLog.open({ dir: workspace, partitions, ...(segmentBytes ? { segmentBytes } : {}) });
  logs.push(opened.log);
  return opened;
}

function readAll(log: EventLog, partition: number, from = 0): { sequence: number; body: string; key: string; offset: number }[] {
  const reader = log.reader(partition, from);
  const records: { sequence: number; body: string; key: string; offset: number }[] = [];
  for (let batch = reader.read(7); batch.length > 0; batch = reader.read(7)) {
    for (const record of batch)
      records.push({ sequence: record.sequenceNumber, body: record.body.toString('utf8'), key: record.key, offset: record.offset });
  }
  reader.close();
  return records;
}

/** A key that lands in the wanted partition. */
function keyFor(partition: number, partitions: number, salt = 0): string {
  for (let candidate = salt; ; candidate += 1) if (partitionOfKey(String(candidate), partitions) === partition) return String(candidate);
}

describe('local event log', () => {
  it('routes by key, numbers each partition from 0, and reads back in order from any sequence', async () => {
    const { log } = await open(2);
    const key0 = keyFor(0, 2);
    const key1 = keyFor(1, 2);
    await log.append([
      { key: key0, body: Buffer.from('a') },
      { key: key1, body: Buffer.from('b') },
      { key: key0, body: Buffer.from('c') },
    ]);
    await log.append([{ key: key0, body: Buffer.from('d') }]);

    expect(readAll(log, 0).map((record) => [record.sequence, record.body, record.key])).toEqual([
      [0, 'a', key0],
      [1, 'c', key0],
      [2, 'd', key0],
    ]);
    expect(readAll(log, 1).map((record) => record.body)).toEqual(['b']);
    expect(readAll(log, 0, 2).map((record) => record.body)).toEqual(['d']);
    expect(log.endSequence(0)).toBe(3);
    const offsets = readAll(log, 0).map((record) => record.offset);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBeGreaterThan(offsets[0]!);
  });

  it('group-commits concurrent appends and loses none', async () => {
    const { log } = await open(4);
    const publisher = new EventLogPublisher(log);
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        publisher.publish([
          {
            geographical_location_oid: '1',
            video_camera_oid: String(index % 13),
            detection_oid: String(index),
            item_name: 'car',
            timestamp_detected: 1,
          },
        ]),
      ),
    );
    const ids = [0, 1, 2, 3].flatMap((partition) =>
      readAll(log, partition).map((record) => (JSON.parse(record.body) as { detection_oid: string }).detection_oid),
    );
    expect(ids.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 200 }, (_, index) => String(index)));
    // One camera, one partition.
    for (let partition = 0; partition < 4; partition += 1) {
      for (const record of readAll(log, partition)) expect(partitionOfKey(record.key, 4)).toBe(partition);
    }
  });

  it('rolls segments and reads across them, and drops only wholly consumed segments', async () => {
    const { log } = await open(1, 256);
    for (let index = 0; index < 40; index += 1) await log.append([{ key: 'k', body: Buffer.from(`event-${index}-${'x'.repeat(20)}`) }]);
    const segments = readdirSync(join(workspace, '0')).filter((name) => name.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(3);
    expect(readAll(log, 0).map((record) => record.sequence)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    expect(readAll(log, 0, 33).map((record) => record.sequence)).toEqual([33, 34, 35, 36, 37, 38, 39]);

    log.retainFrom(0, 20);
    expect(log.startSequence(0)).toBeGreaterThan(0);
    expect(log.startSequence(0)).toBeLessThanOrEqual(20);
    expect(readAll(log, 0, 20).map((record) => record.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => 20 + index));
  });

  it('cuts a torn tail on open and goes on from the last whole record', async () => {
    const first = await open(1);
    await first.log.append([{ key: 'k', body: Buffer.from('one') }]);
    await first.log.append([{ key: 'k', body: Buffer.from('two') }]);
    await first.log.close();
    const [segment] = readdirSync(join(workspace, '0')).filter((name) => name.endsWith('.log'));
    const path = join(workspace, '0', segment!);
    // A write cut short by kill -9: half of the last record, then garbage.
    truncateSync(path, statSync(path).size - 2);
    appendFileSync(path, Buffer.from([0xde, 0xad]));

    const second = await open(1);
    expect(second.reports[0]).toMatchObject({ records: 1 });
    expect(typeof second.reports[0]!.truncatedReason).toBe('string');
    expect(second.reports[0]!.truncatedBytes).toBeGreaterThan(0);
    expect(second.log.endSequence(0)).toBe(1);
    await second.log.append([{ key: 'k', body: Buffer.from('three') }]);
    expect(readAll(second.log, 0).map((record) => [record.sequence, record.body])).toEqual([
      [0, 'one'],
      [1, 'three'],
    ]);
  });

  it('cuts a record whose bytes were damaged, not just short', async () => {
    const first = await open(1);
    await first.log.append([{ key: 'k', body: Buffer.from('intact') }]);
    await first.log.append([{ key: 'k', body: Buffer.from('damaged') }]);
    await first.log.close();
    const [segment] = readdirSync(join(workspace, '0')).filter((name) => name.endsWith('.log'));
    const path = join(workspace, '0', segment!);
    const size = statSync(path).size;
    truncateSync(path, size - 1);
    appendFileSync(path, Buffer.from('X'));

    const second = await open(1);
    expect(second.reports[0]).toMatchObject({ records: 1, truncatedReason: 'checksum mismatch' });
    expect(readAll(second.log, 0).map((record) => record.body)).toEqual(['intact']);
  });

  it('refuses to reopen with another partition count', async () => {
    await (await open(2)).log.close();
    logs.splice(0);
    await expect(EventLog.open({ dir: workspace, partitions: 3 })).rejects.toThrow(/PARTITIONS is 3 but the event log .* has 2/);
  });

  it('wakes listeners only once records are durable', async () => {
    const { log } = await open(2);
    const seen: number[][] = [];
    log.onDurable((partitions) => seen.push([...partitions].sort()));
    await log.append([{ key: keyFor(1, 2), body: Buffer.from('x') }]);
    expect(seen).toEqual([[1]]);
  });
});
