import { Type } from 'avsc';
import { CAPTURE_SCHEMA, type CapturedInput, CaptureRoller, CaptureWindow, decodeCaptureFile, recordSize } from '../../../shared/capture';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
let sequence = 0;
const at = (offsetMs: number, bytes = 10): CapturedInput => ({
  sequenceNumber: String(sequence++),
  enqueuedMs: T0 + offsetMs,
  body: new Uint8Array(bytes),
});

/** Runs events through a roller, closing by time when `nowMs` is given after each event. */
function cut(roller: CaptureRoller, events: CapturedInput[]): CaptureWindow[] {
  const windows: CaptureWindow[] = [];
  for (const event of events) {
    const closed = roller.add(event);
    if (closed) windows.push(closed);
  }
  return windows;
}

const sequencesOf = async (window: CaptureWindow) => (await decodeCaptureFile(await window.toFile())).events.map((e) => e.sequenceNumber);

const summary = (windows: CaptureWindow[]) =>
  Promise.all(windows.map(async (w) => ({ start: (w.startMs - T0) / 1000, seq: await sequencesOf(w) })));

beforeEach(() => {
  sequence = 0;
});

describe('CaptureRoller', () => {
  it('rolls by time: a file per window that saw events, named by its first event second', async () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, null);
    const windows = cut(roller, [at(500), at(59_999), at(60_000), at(300_250)]);
    windows.push(roller.flush() as CaptureWindow);
    // 2..5 minutes saw nothing: no file for them.
    expect(await summary(windows)).toEqual([
      { start: 0, seq: ['0', '1'] },
      { start: 60, seq: ['2'] },
      { start: 300, seq: ['3'] },
    ]);
    expect(roller.flush()).toBeNull();
  });

  it('rolls by size before an event would pass the window, and gives the next file its own second', async () => {
    const size = recordSize(at(0));
    sequence = 0;
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: size * 2 }, null);
    const windows = cut(roller, [at(100), at(200), at(300), at(400), at(1500)]);
    windows.push(roller.flush() as CaptureWindow);
    expect(await summary(windows)).toEqual([
      { start: 0, seq: ['0', '1'] },
      { start: 1, seq: ['2', '3'] },
      { start: 2, seq: ['4'] },
    ]);
  });

  it('puts an event larger than the size window in a file of its own', async () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 100 }, null);
    const windows = cut(roller, [at(0, 10), at(1000, 500), at(2000, 10)]);
    windows.push(roller.flush() as CaptureWindow);
    expect((await summary(windows)).map((w) => w.seq)).toEqual([['0'], ['1'], ['2']]);
  });

  it('closes by time only when told the time is up', () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, null);
    roller.add(at(500));
    expect(roller.openUntilMs).toBe(T0 + 60_000);
    expect(roller.due(T0 + 59_999)).toBeNull();
    expect(roller.due(T0 + 60_000)?.events).toBe(1);
    expect(roller.pendingEvents).toBe(0);
  });

  it('cuts the same files again from the checkpoint after a crash, so the names repeat', async () => {
    const options = { windowSeconds: 10, windowBytes: recordSize(at(0)) * 3 };
    sequence = 0;
    const events = [at(0), at(100), at(200), at(300), at(9_000), at(12_000), at(12_001), at(40_000)];
    const all = new CaptureRoller(options, null);
    const first = cut(all, events);
    first.push(all.flush() as CaptureWindow);

    // The writer uploaded the first two files, then crashed; it restarts from its checkpoint.
    const uploaded = first.slice(0, 2);
    const lastUploaded = uploaded[1] as CaptureWindow;
    const resumeAt = events.findIndex((e) => e.sequenceNumber === lastUploaded.lastSequence) + 1;
    const resumed = new CaptureRoller(options, lastUploaded.startMs);
    const again = cut(resumed, events.slice(resumeAt));
    again.push(resumed.flush() as CaptureWindow);

    expect(await summary(again)).toEqual(await summary(first.slice(2)));
  });

  it('after a flush on stop, the next file in the same second takes the next second', () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, null);
    roller.add(at(100));
    const flushed = roller.flush() as CaptureWindow;
    const restarted = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, flushed.startMs);
    restarted.add(at(400));
    expect((restarted.flush() as CaptureWindow).startMs).toBe(T0 + 1000);
  });
});

/** Objects reachable from `root` through own properties, a typed array counting as one. */
function reachableObjects(root: object): number {
  const seen = new Set<object>();
  const pending: object[] = [root];
  while (pending.length > 0) {
    const next = pending.pop() as object;
    if (seen.has(next)) continue;
    seen.add(next);
    if (ArrayBuffer.isView(next)) continue;
    for (const value of Object.values(next) as unknown[]) if (typeof value === 'object' && value !== null) pending.push(value);
  }
  return seen.size;
}

const recordType = Type.forSchema(CAPTURE_SCHEMA as unknown as Parameters<typeof Type.forSchema>[0]);
const avroSize = (event: CapturedInput) =>
  recordType.toBuffer({
    SequenceNumber: Number(event.sequenceNumber),
    Offset: event.sequenceNumber,
    EnqueuedTimeUtc: new Date(event.enqueuedMs).toISOString(),
    SystemProperties: {},
    Properties: {},
    Body: Buffer.from(event.body),
  }).length;

describe('CaptureWindow', () => {
  const events = Array.from({ length: 5000 }, (_, index) => ({
    sequenceNumber: String(1_000_000 + index),
    enqueuedMs: T0 + index * 7,
    body: Buffer.from(`{"detection_oid":${index},"item_name":"${'x'.repeat(index % 300)}"}`),
  }));

  it('holds its events as their Avro encoding, with no object per event', () => {
    const window = CaptureWindow.of(T0, events);
    expect(window.events).toBe(events.length);
    expect(window.encodedBytes).toBe(events.reduce((sum, event) => sum + avroSize(event), 0));
    // The blocks' buffers, the last one partly filled: about the encoded size.
    expect(window.heldBytes).toBeLessThanOrEqual(window.encodedBytes + 2 * 65_536);
    // A few objects per 64 KiB block (the window is ~1 MB), not one or more per event.
    expect(reachableObjects(window)).toBeLessThan(100);
    expect(window.bytes).toBe(events.reduce((sum, event) => sum + recordSize(event), 0));
    expect([window.firstSequence, window.lastSequence]).toEqual(['1000000', '1004999']);
  });

  it('writes a file that decodes to exactly the events appended', async () => {
    const mixed = [
      ...events.slice(0, 700),
      { sequenceNumber: '2000000', enqueuedMs: T0 + 1, body: Buffer.alloc(200_000, 7) },
      ...events.slice(700, 900),
    ];
    mixed.push({ sequenceNumber: '2000001', enqueuedMs: T0 + 2, body: Buffer.alloc(0) });
    const window = CaptureWindow.of(T0, mixed);
    const decoded = await decodeCaptureFile(await window.toFile());
    expect(decoded.events).toHaveLength(mixed.length);
    decoded.events.forEach((event, index) => {
      const input = mixed[index] as CapturedInput;
      expect(event.sequenceNumber).toBe(input.sequenceNumber);
      expect(event.offset).toBe(input.sequenceNumber);
      expect(event.enqueuedTimeUtc).toBe(new Date(input.enqueuedMs).toISOString());
      expect(event.systemProperties).toEqual({});
      expect(event.properties).toEqual({});
      expect(Buffer.from(event.body as Uint8Array).equals(Buffer.from(input.body))).toBe(true);
    });
  });
});
