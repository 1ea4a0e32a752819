import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { type Type } from 'avsc';
import { type CaptureEvent, CaptureFormatError, captureRecordType, HEADER_TYPE, LONG_TYPE, MAGIC, toCaptureEvent } from './codec';

/**
 * Avro container files read block by block as their bytes arrive, so a Capture file of any size
 * costs one block of memory. Each block comes with its byte offset: a reader can stop after any
 * block (or any record in it) and another one resume there, given the file's header.
 */

const inflateRaw = promisify(zlib.inflateRaw);
/** Bytes enough for a block's two varint longs (count and size). */
const BLOCK_PREFIX_MAX = 20;

export interface CaptureHeader {
  /** The writer schema, as found in the file. */
  readonly type: Type;
  readonly codec: string;
  readonly sync: Buffer;
  /** Where the first block starts. */
  readonly dataOffset: number;
}

export interface CaptureBlock {
  /** Byte offset of the block in the file. */
  readonly offset: number;
  /** Byte offset just past the block (its sync marker included): where the next one starts. */
  readonly end: number;
  readonly events: CaptureEvent[];
}

/** Buffered bytes of a stream, pulled on demand (so the stream's own backpressure holds). */
class ByteQueue {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    /** File offset of the first byte the source yields. */
    public offset: number,
  ) {}

  /** At least `bytes` buffered, or as many as are left; false when fewer are left. */
  async fill(bytes: number): Promise<boolean> {
    const chunks: Buffer[] = [this.buffer];
    let length = this.buffer.length;
    while (length < bytes && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        chunks.push(Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        length += next.value.byteLength;
      }
    }
    if (chunks.length > 1) this.buffer = Buffer.concat(chunks, length);
    return length >= bytes;
  }

  get bytes(): Buffer {
    return this.buffer;
  }

  consume(bytes: number): void {
    this.buffer = this.buffer.subarray(bytes);
    this.offset += bytes;
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}

/** Reads the header at the start of `chunks`; the queue then stands at the first block. */
async function readHeader(queue: ByteQueue): Promise<CaptureHeader> {
  if (!(await queue.fill(MAGIC.length)) || !queue.bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CaptureFormatError('not an Avro container file (no "Obj\\x01" magic bytes)');
  }
  for (let want = 4096; ; want *= 2) {
    const complete = await queue.fill(want);
    const decoded = HEADER_TYPE.decode(queue.bytes, 0);
    if (decoded.offset >= 0) {
      const header = decoded.value as { meta: Record<string, Buffer>; sync: Buffer };
      queue.consume(decoded.offset);
      return headerOf(header.meta, Buffer.from(header.sync), queue.offset);
    }
    if (!complete) throw new CaptureFormatError('truncated Avro container: the header is incomplete');
  }
}

function headerOf(meta: Record<string, Buffer>, sync: Buffer, dataOffset: number): CaptureHeader {
  const codec = meta['avro.codec']?.toString('utf8') || 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new CaptureFormatError(`unsupported Avro codec "${codec}"`);
  const schemaText = meta['avro.schema']?.toString('utf8');
  if (!schemaText) throw new CaptureFormatError('unreadable Avro container: the header has no schema');
  let type: Type;
  try {
    type = captureRecordType(JSON.parse(schemaText) as Parameters<typeof captureRecordType>[0]);
  } catch (error) {
    throw new CaptureFormatError(`unreadable Avro container: ${(error as Error).message}`, { cause: error });
  }
  return { type, codec, sync, dataOffset };
}

/** One block at the queue's position, decoded; null at the clean end of the file. */
async function readBlock(queue: ByteQueue, header: CaptureHeader): Promise<CaptureBlock | null> {
  const offset = queue.offset;
  await queue.fill(BLOCK_PREFIX_MAX);
  if (queue.bytes.length === 0) return null;
  const count = decodeLong(queue.bytes, 0);
  const size = count.offset < 0 ? count : decodeLong(queue.bytes, count.offset);
  if (size.offset < 0) throw new CaptureFormatError(`truncated Avro container: the block at byte ${offset} is cut short`);
  if (count.value < 0 || size.value < 0)
    throw new CaptureFormatError(`unreadable Avro container: the block at byte ${offset} is malformed`);
  const total = size.offset + size.value + header.sync.length;
  if (!(await queue.fill(total))) throw new CaptureFormatError(`truncated Avro container: the block at byte ${offset} is cut short`);
  const bytes = queue.bytes;
  if (!bytes.subarray(total - header.sync.length, total).equals(header.sync)) {
    throw new CaptureFormatError(`unreadable Avro container: invalid sync marker after the block at byte ${offset}`);
  }
  const data = bytes.subarray(size.offset, size.offset + size.value);
  let records: Buffer;
  try {
    records = header.codec === 'deflate' ? await inflateRaw(data) : Buffer.from(data);
  } catch (error) {
    throw new CaptureFormatError(`unreadable Avro container: the block at byte ${offset} does not inflate`, { cause: error });
  }
  queue.consume(total);
  return { offset, end: queue.offset, events: decodeRecords(records, count.value, header.type, offset) };
}

/** An Avro long at `position`; offset -1 when the bytes end before it does. */
function decodeLong(bytes: Buffer, position: number): { value: number; offset: number } {
  const decoded: { value: unknown; offset: number } = LONG_TYPE.decode(bytes, position);
  return { value: Number(decoded.value), offset: decoded.offset };
}

function decodeRecords(records: Buffer, count: number, type: Type, blockOffset: number): CaptureEvent[] {
  const events: CaptureEvent[] = [];
  let position = 0;
  for (let index = 0; index < count; index += 1) {
    let decoded: { value: unknown; offset: number };
    try {
      decoded = type.decode(records, position);
    } catch (error) {
      throw new CaptureFormatError(`unreadable Avro container: the block at byte ${blockOffset}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (decoded.offset < 0)
      throw new CaptureFormatError(`unreadable Avro container: the block at byte ${blockOffset} holds fewer records than it says`);
    events.push(toCaptureEvent(decoded.value, index));
    position = decoded.offset;
  }
  return events;
}

/** Opens a file's bytes from a byte offset; null when there is no such file. */
export type OpenCapture = (offset: number) => Promise<AsyncIterable<Uint8Array> | null>;

/**
 * The blocks of a Capture file from `from` (a block's offset; the first block when omitted), each
 * decoded once its bytes have arrived. Null when the file does not exist. Throws CaptureFormatError
 * at the first block that is unreadable or cut short: the blocks before it have been yielded.
 */
export async function openCaptureBlocks(open: OpenCapture, from?: number): Promise<AsyncGenerator<CaptureBlock> | null> {
  const start = await open(0);
  if (start === null) return null;
  let queue = new ByteQueue(start[Symbol.asyncIterator](), 0);
  let header: CaptureHeader;
  try {
    header = await readHeader(queue);
  } catch (error) {
    await queue.close();
    throw error;
  }
  if (from !== undefined && from !== header.dataOffset) {
    await queue.close();
    const rest = await open(from);
    if (rest === null) return null;
    queue = new ByteQueue(rest[Symbol.asyncIterator](), from);
  }
  return (async function* blocks() {
    try {
      for (let block = await readBlock(queue, header); block; block = await readBlock(queue, header)) yield block;
    } finally {
      await queue.close();
    }
  })();
}
