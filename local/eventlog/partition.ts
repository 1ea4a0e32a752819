import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, encodeRecord, type LogRecord } from './record';

/** A segment file: `<first sequence>-<first offset>.log`, both zero-padded so names sort. */
export interface Segment {
  readonly baseSequence: number;
  readonly baseOffset: number;
  readonly path: string;
  /** Bytes of whole, durable records. */
  size: number;
}

export interface PartitionOpenReport {
  readonly partition: number;
  readonly records: number;
  /** Bytes cut from the end of the last segment because they did not hold a whole, valid record. */
  readonly truncatedBytes: number;
  readonly truncatedReason: string | undefined;
}

/**
 * What a reader needs of a partition: its segments and its durable end. The writing partition is one;
 * a mirror of it on another thread (eventlog/mirror.ts), kept up to date by durable notices, is another.
 */
export interface SegmentSource {
  readonly id: number;
  readonly startSequence: number;
  readonly endSequence: number;
  segmentFor(sequence: number): { segment: Segment; index: number };
  segmentAfter(segment: Segment): Segment | undefined;
}

/** The durable state of a partition that another thread needs to read it: its segments and its end. */
export interface PartitionState {
  readonly segments: readonly Segment[];
  readonly endSequence: number;
}

const SEGMENT_NAME = /^(\d{20})-(\d{20})\.log$/;
const READ_CHUNK_BYTES = 1024 * 1024;

function segmentName(baseSequence: number, baseOffset: number): string {
  return `${String(baseSequence).padStart(20, '0')}-${String(baseOffset).padStart(20, '0')}.log`;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One partition of the local event log: append-only segment files. Appends are queued and written
 * by `flush`, which assigns sequence numbers, writes every queued record with one call and fsyncs;
 * only then do readers see them.
 */
export class LogPartition implements SegmentSource {
  private pending: { key: Buffer; body: Buffer }[] = [];
  private handle: FileHandle | undefined;
  private closed = false;

  private constructor(
    readonly id: number,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly segments: Segment[],
    /** Next sequence number to assign; every lower one is durable. */
    private durableNextSequence: number,
  ) {}

  static async open(dir: string, id: number, segmentBytes: number): Promise<{ partition: LogPartition; report: PartitionOpenReport }> {
    mkdirSync(dir, { recursive: true });
    const segments: Segment[] = readdirSync(dir)
      .map((name) => SEGMENT_NAME.exec(name))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ baseSequence: Number(match[1]), baseOffset: Number(match[2]), path: join(dir, match[0]), size: 0 }))
      .sort((a, b) => a.baseSequence - b.baseSequence);
    if (segments.length === 0) {
      const first: Segment = { baseSequence: 0, baseOffset: 0, path: join(dir, segmentName(0, 0)), size: 0 };
      closeSync(openSync(first.path, 'a'));
      fsyncDirectory(dir);
      segments.push(first);
    }
    for (const segment of segments.slice(0, -1)) segment.size = statSync(segment.path).size;
    const last = segments[segments.length - 1] as Segment;
    const scan = scanTail(last);
    last.size = scan.validBytes;
    const partition = new LogPartition(id, dir, segmentBytes, segments, last.baseSequence + scan.records);
    partition.handle = await open(last.path, 'r+');
    if (scan.fileBytes > scan.validBytes) {
      await partition.handle.truncate(scan.validBytes);
      await partition.handle.sync();
    }
    const records = segments
      .slice(0, -1)
      .reduce((sum, segment, index) => sum + ((segments[index + 1] as Segment).baseSequence - segment.baseSequence), 0);
    return {
      partition,
      report: {
        partition: id,
        records: records + scan.records,
        truncatedBytes: scan.fileBytes - scan.validBytes,
        truncatedReason: scan.reason,
      },
    };
  }

  enqueue(key: Buffer, body: Buffer): void {
    if (this.closed) throw new Error(`event-log partition ${this.id} is closed`);
    this.pending.push({ key, body });
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** The next sequence number; all below it are durable. */
  get endSequence(): number {
    return this.durableNextSequence;
  }

  /** The first sequence still on disk. */
  get startSequence(): number {
    return (this.segments[0] as Segment).baseSequence;
  }

  /**
   * Writes and fsyncs every queued record. On failure the partition is cut back to its last durable
   * end and the error is thrown: the callers were not acknowledged and will retry.
   */
  async flush(enqueuedMs: number): Promise<number> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return 0;
    await this.rollIfFull();
    const active = this.activeSegment();
    const handle = this.handle as FileHandle;
    const frames = batch.map((item, index) => encodeRecord(this.durableNextSequence + index, enqueuedMs, item.key, item.body));
    const bytes = frames.reduce((sum, frame) => sum + frame.length, 0);
    try {
      await writeFully(handle, Buffer.concat(frames, bytes), active.size);
      await handle.datasync();
    } catch (error) {
      await handle.truncate(active.size).catch(() => undefined);
      throw error;
    }
    active.size += bytes;
    this.durableNextSequence += batch.length;
    return batch.length;
  }

  reader(fromSequence: number): PartitionReader {
    return new PartitionReader(this, fromSequence);
  }

  /** Its segments (copies) and durable end, for a reader on another thread. */
  state(): PartitionState {
    return { segments: this.segments.map((segment) => ({ ...segment })), endSequence: this.durableNextSequence };
  }

  /** Its active segment and durable end: what a mirror needs after a flush. */
  tail(): PartitionState {
    return { segments: [{ ...this.activeSegment() }], endSequence: this.durableNextSequence };
  }

  /** Deletes sealed segments whose every record is below `sequence`. */
  deleteBefore(sequence: number): number {
    return deleteSegmentsBefore(this.segments, sequence);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** @internal for readers */
  segmentFor(sequence: number): { segment: Segment; index: number } {
    return segmentFor(this.segments, sequence);
  }

  /** @internal for readers */
  segmentAfter(segment: Segment): Segment | undefined {
    return segmentAfter(this.segments, segment);
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  private async rollIfFull(): Promise<void> {
    const active = this.activeSegment();
    if (active.size < this.segmentBytes) return;
    const next: Segment = {
      baseSequence: this.durableNextSequence,
      baseOffset: active.baseOffset + active.size,
      path: join(this.dir, segmentName(this.durableNextSequence, active.baseOffset + active.size)),
      size: 0,
    };
    const handle = await open(next.path, 'w+');
    fsyncDirectory(this.dir);
    await this.handle?.close();
    this.handle = handle;
    this.segments.push(next);
  }
}

/** The segment of a list that holds `sequence` (the first one if it lies before them all). */
export function segmentFor(segments: readonly Segment[], sequence: number): { segment: Segment; index: number } {
  let index = 0;
  for (let i = 0; i < segments.length; i += 1) if ((segments[i] as Segment).baseSequence <= sequence) index = i;
  return { segment: segments[index] as Segment, index };
}

/** The segment after `segment` in a list (found by its base sequence once `segment` itself was dropped). */
export function segmentAfter(segments: readonly Segment[], segment: Segment): Segment | undefined {
  const index = segments.indexOf(segment);
  if (index >= 0) return segments[index + 1];
  return segments.find((candidate) => candidate.baseSequence > segment.baseSequence);
}

/** Drops (and deletes the files of) the sealed segments of a list whose every record is below `sequence`. */
export function deleteSegmentsBefore(segments: Segment[], sequence: number): number {
  let deleted = 0;
  while (segments.length > 1 && (segments[1] as Segment).baseSequence <= sequence) {
    const [segment] = segments.splice(0, 1);
    rmSync((segment as Segment).path, { force: true });
    deleted += 1;
  }
  return deleted;
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written, position + written);
    if (bytesWritten <= 0) throw new Error('the event log could not be written');
    written += bytesWritten;
  }
}

/** Reads a whole segment to find where its valid records end. */
function scanTail(segment: Segment): { records: number; validBytes: number; fileBytes: number; reason: string | undefined } {
  const fd = openSync(segment.path, 'r');
  try {
    const fileBytes = statSync(segment.path).size;
    let buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(fileBytes, 1)));
    let position = 0;
    let records = 0;
    for (;;) {
      const available = readSync(fd, buffer, 0, buffer.length, position);
      let cursor = 0;
      let stop: string | undefined;
      let needed = 0;
      while (cursor < available) {
        const decoded = decodeRecord(buffer, cursor, available);
        if (decoded.kind === 'incomplete') {
          needed = decoded.needed;
          break;
        }
        if (decoded.kind === 'corrupt') {
          stop = decoded.reason;
          break;
        }
        if (decoded.sequence !== segment.baseSequence + records) {
          stop = `sequence ${decoded.sequence} where ${segment.baseSequence + records} was expected`;
          break;
        }
        records += 1;
        cursor += decoded.bytes;
      }
      position += cursor;
      if (stop !== undefined) return { records, validBytes: position, fileBytes, reason: stop };
      if (position >= fileBytes) return { records, validBytes: position, fileBytes, reason: undefined };
      if (available === 0 || (needed > 0 && position + needed > fileBytes)) {
        return { records, validBytes: position, fileBytes, reason: 'a record cut short at the end of the file' };
      }
      if (needed > buffer.length) buffer = Buffer.allocUnsafe(needed);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A cursor over one partition, from a sequence number on, that only sees durable records. Reads are
 * synchronous: they come from the page cache and are cut to at most a megabyte or so at a time.
 */
export class PartitionReader {
  private segment: Segment | undefined;
  private fd: number | undefined;
  private filePosition = 0;
  private next = 0;

  constructor(
    private readonly partition: SegmentSource,
    fromSequence: number,
  ) {
    this.seek(fromSequence);
  }

  /** The sequence number of the next record this reader returns. */
  get position(): number {
    return this.next;
  }

  seek(sequence: number): void {
    const target = Math.min(Math.max(sequence, this.partition.startSequence), this.partition.endSequence);
    const { segment } = this.partition.segmentFor(target);
    this.openSegment(segment);
    this.next = segment.baseSequence;
    while (this.next < target) {
      const skipped = this.read(Math.min(target - this.next, 10_000));
      if (skipped.length === 0) break;
    }
  }

  /** Up to `maxRecords` durable records from the current position; fewer (or none) at the end. */
  read(maxRecords: number, maxBytes = READ_CHUNK_BYTES): LogRecord[] {
    const records: LogRecord[] = [];
    let budget = maxBytes;
    while (records.length < maxRecords && budget > 0 && this.next < this.partition.endSequence) {
      const segment = this.segment as Segment;
      const segmentEnd = segment.size;
      if (this.filePosition >= segmentEnd) {
        const following = this.partition.segmentAfter(segment);
        if (!following) break;
        this.openSegment(following);
        continue;
      }
      const span = Math.min(segmentEnd - this.filePosition, Math.max(budget, 64 * 1024));
      let buffer = Buffer.allocUnsafe(span);
      let available = readSync(this.fd as number, buffer, 0, span, this.filePosition);
      let cursor = 0;
      while (cursor < available && records.length < maxRecords) {
        const decoded = decodeRecord(buffer, cursor, available);
        if (decoded.kind === 'incomplete') {
          if (cursor > 0) break;
          // A record larger than the chunk: read it whole.
          buffer = Buffer.allocUnsafe(decoded.needed);
          available = readSync(this.fd as number, buffer, 0, decoded.needed, this.filePosition);
          if (available < decoded.needed) {
            throw new Error(`event-log partition ${this.partition.id}: a durable record is shorter than its length`);
          }
          continue;
        }
        if (decoded.kind === 'corrupt') {
          throw new Error(
            `event-log partition ${this.partition.id}: ${decoded.reason} at offset ${segment.baseOffset + this.filePosition + cursor}`,
          );
        }
        records.push({
          partition: this.partition.id,
          sequenceNumber: decoded.sequence,
          offset: segment.baseOffset + this.filePosition + cursor,
          enqueuedTimeMs: decoded.enqueuedMs,
          key: decoded.key,
          body: decoded.body,
        });
        cursor += decoded.bytes;
        this.next = decoded.sequence + 1;
      }
      this.filePosition += cursor;
      budget -= cursor;
      if (cursor === 0) break;
    }
    return records;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openSegment(segment: Segment): void {
    this.close();
    this.segment = segment;
    this.fd = openSync(segment.path, 'r');
    this.filePosition = 0;
    this.next = segment.baseSequence;
  }
}
