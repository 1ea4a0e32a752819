import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, EventLogMirror, type PartitionState, type ReadableLog } from '../../../local/eventlog';

let workspace: string;
let log: EventLog;

beforeEach(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'eventlog-mirror-'));
  // Segments of ~100 bytes: a few records each, so that appends roll to new segments.
  log = (await EventLog.open({ dir: workspace, partitions: 1, segmentBytes: 100 })).log;
});

afterEach(async () => {
  await log.close();
  rmSync(workspace, { recursive: true, force: true });
});

function bodies(reader: ReadableLog, from = 0): string[] {
  const cursor = reader.reader(0, from);
  const read: string[] = [];
  for (let batch = cursor.read(3); batch.length > 0; batch = cursor.read(3))
    read.push(...batch.map((record) => record.body.toString('utf8')));
  cursor.close();
  return read;
}

async function append(from: number, count: number): Promise<void> {
  await log.append(Array.from({ length: count }, (_, index) => ({ key: 'camera', body: Buffer.from(`event-${from + index}`) })));
}

/** A mirror advanced the way the runtime advances it: the writer's tails after every durable write. */
function follow(onRetained?: (partition: number, sequence: number) => void): EventLogMirror {
  const mirror = new EventLogMirror(log.state(), onRetained);
  log.onDurable((partitions) => mirror.advance(partitions.map((partition) => ({ partition, tail: log.tail(partition) }))));
  return mirror;
}

describe('event log mirror (the store worker reading the log written on the main thread)', () => {
  it('sees exactly the durable records, across segment rolls, and wakes its listeners', async () => {
    await append(0, 4);
    const mirror = follow();
    const woken: number[][] = [];
    mirror.onDurable((partitions) => woken.push([...partitions]));
    expect(bodies(mirror)).toEqual(['event-0', 'event-1', 'event-2', 'event-3']);

    for (let round = 1; round <= 5; round += 1) await append(round * 4, 4);
    expect(bodies(mirror)).toEqual(bodies(log));
    expect(bodies(mirror)).toHaveLength(24);
    expect(mirror.endSequence(0)).toBe(24);
    expect(mirror.durableRecordCount()).toBe(24);
    expect(bodies(mirror, 21)).toEqual(['event-21', 'event-22', 'event-23']);
    expect(woken).toEqual([[0], [0], [0], [0], [0]]);
  });

  it('does not see records the writer has not reported durable', async () => {
    await append(0, 2);
    const stale: PartitionState[] = log.state();
    await append(2, 2);
    const mirror = new EventLogMirror(stale);
    expect(bodies(mirror)).toEqual(['event-0', 'event-1']);
    mirror.advance([{ partition: 0, tail: log.tail(0) }]);
    expect(bodies(mirror)).toEqual(['event-0', 'event-1', 'event-2', 'event-3']);
  });

  it('deletes consumed segments and tells the writer, which then forgets them too', async () => {
    const retained: [number, number][] = [];
    const mirror = follow((partition, sequence) => retained.push([partition, sequence]));
    for (let round = 0; round < 6; round += 1) await append(round * 4, 4);
    const first = log.state()[0]!.segments[0]!;
    expect(mirror.retainFrom(0, 20)).toBeGreaterThan(0);
    expect(existsSync(first.path)).toBe(false);
    expect(retained).toEqual([[0, 20]]);
    log.retainFrom(0, 20);
    expect(mirror.startSequence(0)).toBe(log.startSequence(0));
    expect(bodies(mirror, 20)).toEqual(['event-20', 'event-21', 'event-22', 'event-23']);
    expect(mirror.retainFrom(0, 20)).toBe(0);
    expect(retained).toHaveLength(1);
  });
});
