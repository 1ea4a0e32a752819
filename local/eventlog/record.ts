import { crc32 } from 'node:zlib';

/**
 * One event-log record on disk, little-endian:
 *
 *   u32 frameLength | u32 crc32(frame) | frame = u64 sequence | f64 enqueuedMs | u16 keyLength | key | body
 *
 * The length prefix lets a reader skip to the next record; the checksum and the expected sequence
 * let the opener tell a torn tail (a write cut short by kill -9 or power loss) from good data.
 */
export const PREFIX_BYTES = 8;
const FIXED_FRAME_BYTES = 8 + 8 + 2;
export const MAX_KEY_BYTES = 0xffff;
/** Far above any event (bodies are capped by MAX_BODY_BYTES); a larger length means a corrupt prefix. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export interface LogRecord {
  readonly partition: number;
  readonly sequenceNumber: number;
  /** Byte position of the record in its partition, as Event Hubs offsets are. */
  readonly offset: number;
  readonly enqueuedTimeMs: number;
  readonly key: string;
  readonly body: Buffer;
}

export function encodeRecord(sequence: number, enqueuedMs: number, key: Buffer, body: Buffer): Buffer {
  if (key.length > MAX_KEY_BYTES) throw new Error(`event-log key longer than ${MAX_KEY_BYTES} bytes`);
  const frameLength = FIXED_FRAME_BYTES + key.length + body.length;
  const buffer = Buffer.allocUnsafe(PREFIX_BYTES + frameLength);
  buffer.writeUInt32LE(frameLength, 0);
  buffer.writeBigUInt64LE(BigInt(sequence), 8);
  buffer.writeDoubleLE(enqueuedMs, 16);
  buffer.writeUInt16LE(key.length, 24);
  key.copy(buffer, 26);
  body.copy(buffer, 26 + key.length);
  buffer.writeUInt32LE(crc32(buffer.subarray(PREFIX_BYTES)), 4);
  return buffer;
}

export type Decoded =
  | {
      readonly kind: 'record';
      readonly bytes: number;
      readonly sequence: number;
      readonly enqueuedMs: number;
      readonly key: string;
      readonly body: Buffer;
    }
  /** The buffer ends inside this record: read more (or, at the end of the file, it is a torn tail). */
  | { readonly kind: 'incomplete'; readonly needed: number }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Decodes the record starting at `position`; `body` is a view into `buffer`, not a copy. */
export function decodeRecord(buffer: Buffer, position: number, end: number): Decoded {
  if (end - position < PREFIX_BYTES) return { kind: 'incomplete', needed: PREFIX_BYTES };
  const frameLength = buffer.readUInt32LE(position);
  if (frameLength < FIXED_FRAME_BYTES || frameLength > MAX_FRAME_BYTES) {
    return { kind: 'corrupt', reason: `impossible record length ${frameLength}` };
  }
  const total = PREFIX_BYTES + frameLength;
  if (end - position < total) return { kind: 'incomplete', needed: total };
  const frame = buffer.subarray(position + PREFIX_BYTES, position + total);
  if (crc32(frame) !== buffer.readUInt32LE(position + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const keyLength = frame.readUInt16LE(16);
  if (FIXED_FRAME_BYTES + keyLength > frameLength) return { kind: 'corrupt', reason: 'key longer than its record' };
  return {
    kind: 'record',
    bytes: total,
    sequence: Number(frame.readBigUInt64LE(0)),
    enqueuedMs: frame.readDoubleLE(8),
    key: frame.toString('utf8', FIXED_FRAME_BYTES, FIXED_FRAME_BYTES + keyLength),
    body: frame.subarray(FIXED_FRAME_BYTES + keyLength),
  };
}
