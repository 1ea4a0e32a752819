import { isoInstant } from '../domain/windows';
import { CaptureBlocks, type EncodeOptions } from './codec';

/**
 * How the local capture writer cuts one partition's stream into Capture files. A file opens with
 * the first event after the previous file and closes when an event falls outside its time window,
 * when the next event would pass the size window, when the writer has read everything and the
 * window's time is up, or on a graceful stop. Empty windows therefore never make a file.
 *
 * Everything here is a function of the events and of the previous file's start, both of which the
 * writer can recover from its checkpoint. Cutting the same events again after a crash gives the same
 * files under the same names, so a retried upload overwrites instead of adding a second copy.
 */
export interface RollingOptions {
  readonly windowSeconds: number;
  /** Approximate, before compression: body bytes plus a small per-record overhead. */
  readonly windowBytes: number;
}

export interface CapturedInput {
  /** The event's sequence number in its partition, as decimal digits. */
  readonly sequenceNumber: string;
  /** When the event log stored it (epoch ms): Capture's EnqueuedTimeUtc. */
  readonly enqueuedMs: number;
  readonly body: Uint8Array;
}

/**
 * One Capture file's worth of events, held as the Avro blocks of the file (see CaptureBlocks) plus
 * the few numbers its name and checkpoint need: no object per event outlives `append`.
 */
export class CaptureWindow {
  private readonly blocks = new CaptureBlocks();
  private approximateBytes = 0;
  private first: string | null = null;
  private last: string | null = null;

  /** @param startMs the time in the file name (whole seconds, epoch ms). */
  constructor(readonly startMs: number) {}

  /** A window of the given events, as the roller would have filled it (tests, replay tooling). */
  static of(startMs: number, events: Iterable<CapturedInput>): CaptureWindow {
    const window = new CaptureWindow(startMs);
    for (const event of events) window.append(event);
    return window;
  }

  /**
   * Encodes the event into the window. Offsets are the sequence numbers as text: the local event
   * log has no byte offsets, and replay never reads them.
   */
  append(event: CapturedInput): void {
    this.blocks.append({
      sequenceNumber: event.sequenceNumber,
      offset: event.sequenceNumber,
      enqueuedTimeUtc: isoInstant(event.enqueuedMs),
      systemProperties: NO_PROPERTIES,
      properties: NO_PROPERTIES,
      body: event.body,
    });
    this.approximateBytes += recordSize(event);
    this.first ??= event.sequenceNumber;
    this.last = event.sequenceNumber;
  }

  /** The size the cut rules count (see RollingOptions.windowBytes). */
  get bytes(): number {
    return this.approximateBytes;
  }

  get events(): number {
    return this.blocks.events;
  }

  /** The Avro encoding of its records, uncompressed. */
  get encodedBytes(): number {
    return this.blocks.encodedBytes;
  }

  /** The memory its blocks hold. */
  get heldBytes(): number {
    return this.blocks.heldBytes;
  }

  /** Sequence number of its first event, as decimal digits; null while empty. */
  get firstSequence(): string | null {
    return this.first;
  }

  get lastSequence(): string | null {
    return this.last;
  }

  /** The Capture file: an Avro container with deflate blocks. */
  toFile(options: EncodeOptions = {}): Promise<Buffer> {
    return this.blocks.toFile(options);
  }
}

const NO_PROPERTIES: Readonly<Record<string, never>> = Object.freeze({});

/** Sequence number, offset, time text and framing of one record, roughly. */
const RECORD_OVERHEAD_BYTES = 48;

export function recordSize(event: CapturedInput): number {
  return event.body.byteLength + RECORD_OVERHEAD_BYTES;
}

export class CaptureRoller {
  private open: CaptureWindow | null = null;
  private readonly windowMs: number;

  /** @param previousStartMs the start of the last file written for this partition (from the checkpoint), if any. */
  constructor(
    private readonly options: RollingOptions,
    private previousStartMs: number | null,
  ) {
    if (!(options.windowSeconds > 0) || !(options.windowBytes > 0)) throw new RangeError('capture windows must be positive');
    this.windowMs = options.windowSeconds * 1000;
  }

  /** Adds the next event of the partition; returns the file it closed, if any. */
  add(event: CapturedInput): CaptureWindow | null {
    const size = recordSize(event);
    let closed: CaptureWindow | null = null;
    if (this.open) {
      const outOfTime = event.enqueuedMs >= this.open.startMs + this.windowMs;
      const outOfSpace = this.open.bytes + size > this.options.windowBytes;
      if (outOfTime || outOfSpace) closed = this.close();
    }
    if (!this.open) {
      const second = Math.floor(event.enqueuedMs / 1000) * 1000;
      // Two files of one partition may not share a name: a file that opens in the second of the
      // previous one (after a size roll or a flush on stop) takes the next free second.
      const startMs = this.previousStartMs === null ? second : Math.max(second, this.previousStartMs + 1000);
      this.previousStartMs = startMs;
      this.open = new CaptureWindow(startMs);
    }
    this.open.append(event);
    return closed;
  }

  /**
   * Closes the open file if its time window is over at `nowMs`. Call it only when every event the log
   * held before `nowMs` has been added; otherwise a lagging reader would cut a window short.
   */
  due(nowMs: number): CaptureWindow | null {
    return this.open && nowMs >= this.open.startMs + this.windowMs ? this.close() : null;
  }

  /** Closes the open file whatever its window (graceful stop). */
  flush(): CaptureWindow | null {
    return this.open ? this.close() : null;
  }

  /** When the open file's time window ends, or null when no file is open. */
  get openUntilMs(): number | null {
    return this.open ? this.open.startMs + this.windowMs : null;
  }

  get pendingEvents(): number {
    return this.open?.events ?? 0;
  }

  private close(): CaptureWindow | null {
    const open = this.open;
    this.open = null;
    return open && open.events > 0 ? open : null;
  }
}
