import { type CapturedInput, type CaptureWindow, CaptureRoller, recordSize } from '../../../shared/capture';

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

const summary = (windows: CaptureWindow[]) =>
  windows.map((w) => ({ start: (w.startMs - T0) / 1000, seq: w.events.map((e) => e.sequenceNumber) }));

beforeEach(() => {
  sequence = 0;
});

describe('CaptureRoller', () => {
  it('rolls by time: a file per window that saw events, named by its first event second', () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, null);
    const windows = cut(roller, [at(500), at(59_999), at(60_000), at(300_250)]);
    windows.push(roller.flush() as CaptureWindow);
    // 2..5 minutes saw nothing: no file for them.
    expect(summary(windows)).toEqual([
      { start: 0, seq: ['0', '1'] },
      { start: 60, seq: ['2'] },
      { start: 300, seq: ['3'] },
    ]);
    expect(roller.flush()).toBeNull();
  });

  it('rolls by size before an event would pass the window, and gives the next file its own second', () => {
    const size = recordSize(at(0));
    sequence = 0;
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: size * 2 }, null);
    const windows = cut(roller, [at(100), at(200), at(300), at(400), at(1500)]);
    windows.push(roller.flush() as CaptureWindow);
    expect(summary(windows)).toEqual([
      { start: 0, seq: ['0', '1'] },
      { start: 1, seq: ['2', '3'] },
      { start: 2, seq: ['4'] },
    ]);
  });

  it('puts an event larger than the size window in a file of its own', () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 100 }, null);
    const windows = cut(roller, [at(0, 10), at(1000, 500), at(2000, 10)]);
    windows.push(roller.flush() as CaptureWindow);
    expect(summary(windows).map((w) => w.seq)).toEqual([['0'], ['1'], ['2']]);
  });

  it('closes by time only when told the time is up', () => {
    const roller = new CaptureRoller({ windowSeconds: 60, windowBytes: 1e9 }, null);
    roller.add(at(500));
    expect(roller.openUntilMs).toBe(T0 + 60_000);
    expect(roller.due(T0 + 59_999)).toBeNull();
    expect(roller.due(T0 + 60_000)?.events).toHaveLength(1);
    expect(roller.pendingEvents).toBe(0);
  });

  it('cuts the same files again from the checkpoint after a crash, so the names repeat', () => {
    const options = { windowSeconds: 10, windowBytes: recordSize(at(0)) * 3 };
    sequence = 0;
    const events = [at(0), at(100), at(200), at(300), at(9_000), at(12_000), at(12_001), at(40_000)];
    const all = new CaptureRoller(options, null);
    const first = cut(all, events);
    first.push(all.flush() as CaptureWindow);

    // The writer uploaded the first two files, then crashed; it restarts from its checkpoint.
    const uploaded = first.slice(0, 2);
    const lastUploaded = uploaded[1] as CaptureWindow;
    const resumeAt = events.findIndex((e) => e.sequenceNumber === lastUploaded.events.at(-1)?.sequenceNumber) + 1;
    const resumed = new CaptureRoller(options, lastUploaded.startMs);
    const again = cut(resumed, events.slice(resumeAt));
    again.push(resumed.flush() as CaptureWindow);

    expect(summary(again)).toEqual(summary(first.slice(2)));
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
