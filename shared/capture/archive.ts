import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { captureBlobName, parseCaptureBlobName, type CaptureLocation } from './paths';
import type { CaptureWindow } from './rolling';

/** A Capture file found in the archive. */
export interface CaptureBlob {
  readonly name: string;
  readonly partitionId: string;
  /** The time in its name (epoch ms). */
  readonly timeMs: number;
  readonly size?: number;
}

/** Where Capture files live: Blob Storage in Azure and locally (Azurite), memory in tests. */
export interface CaptureArchive {
  readonly location: CaptureLocation;
  /** The files of every partition whose name time lies in [fromMs, toMs), oldest first, then by partition. */
  list(fromMs: number, toMs: number): Promise<CaptureBlob[]>;
  /** The file's bytes, or null when there is no such file. */
  read(name: string): Promise<Uint8Array | null>;
  /** The file's bytes from `offset` on, as they arrive (for files too large to hold); null when there is no such file. */
  stream(name: string, offset: number): Promise<AsyncIterable<Uint8Array> | null>;
  /** Writes (or overwrites) one file. */
  write(name: string, bytes: Uint8Array): Promise<void>;
}

export function compareCaptureBlobs(a: CaptureBlob, b: CaptureBlob): number {
  if (a.timeMs !== b.timeMs) return a.timeMs - b.timeMs;
  const byPartition = a.partitionId.localeCompare(b.partitionId, 'en', { numeric: true });
  return byPartition !== 0 ? byPartition : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Keeps the names of `location` whose time lies in [fromMs, toMs), as sorted CaptureBlobs. */
export function selectCaptureBlobs(
  location: CaptureLocation,
  names: Iterable<{ name: string; size?: number }>,
  fromMs: number,
  toMs: number,
): CaptureBlob[] {
  const selected: CaptureBlob[] = [];
  for (const { name, size } of names) {
    const parsed = parseCaptureBlobName(name);
    if (!parsed || parsed.namespace !== location.namespace || parsed.eventHub !== location.eventHub) continue;
    if (parsed.timeMs < fromMs || parsed.timeMs >= toMs) continue;
    selected.push(
      size === undefined
        ? { name, partitionId: parsed.partitionId, timeMs: parsed.timeMs }
        : { name, partitionId: parsed.partitionId, timeMs: parsed.timeMs, size },
    );
  }
  return selected.sort(compareCaptureBlobs);
}

/** A sync marker that depends only on the blob name, so rewriting a file yields identical bytes. */
export function syncMarkerFor(name: string): Uint8Array {
  return createHash('sha256').update(`capture-sync:${name}`).digest().subarray(0, 16);
}

export interface CaptureFile {
  readonly name: string;
  readonly bytes: Buffer;
  readonly events: number;
  readonly firstSequence: string;
  readonly lastSequence: string;
}

/** The Capture file of one closed window. */
export async function buildCaptureFile(location: CaptureLocation, partitionId: string, window: CaptureWindow): Promise<CaptureFile> {
  const { firstSequence, lastSequence } = window;
  if (firstSequence === null || lastSequence === null) throw new RangeError('a Capture file needs at least one event');
  const name = captureBlobName(location, partitionId, window.startMs);
  const bytes = await window.toFile({ syncMarker: syncMarkerFor(name) });
  return { name, bytes, events: window.events, firstSequence, lastSequence };
}

/** Capture files in memory, for tests and for hosts without storage. */
export class InMemoryCaptureArchive implements CaptureArchive {
  readonly files = new Map<string, Uint8Array>();
  writes = 0;
  /** Size of the chunks `stream` yields, as a network read would cut them. */
  chunkBytes = 16 * 1024;

  constructor(readonly location: CaptureLocation = { namespace: 'local', eventHub: 'detections' }) {}

  list(fromMs: number, toMs: number): Promise<CaptureBlob[]> {
    const names = [...this.files].map(([name, bytes]) => ({ name, size: bytes.byteLength }));
    return Promise.resolve(selectCaptureBlobs(this.location, names, fromMs, toMs));
  }

  read(name: string): Promise<Uint8Array | null> {
    return Promise.resolve(this.files.get(name) ?? null);
  }

  stream(name: string, offset: number): Promise<AsyncIterable<Uint8Array> | null> {
    const bytes = this.files.get(name);
    return Promise.resolve(bytes ? Readable.from(chunksOf(bytes.subarray(offset), this.chunkBytes), { objectMode: true }) : null);
  }

  write(name: string, bytes: Uint8Array): Promise<void> {
    this.files.set(name, bytes);
    this.writes += 1;
    return Promise.resolve();
  }
}

function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += size) yield bytes.subarray(start, start + size);
}
