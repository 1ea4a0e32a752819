import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createBlobServiceClient } from '../../shared/adapters/blob';
import { BlobCaptureArchive, captureLocationOf } from '../../shared/adapters/blob/captureArchive';
import { buildCaptureFile, captureBlobName, CaptureWindow } from '../../shared/capture';
import { replayRange, type ReplayDeps, type ReplayPosition } from '../../shared/pipeline/replay';
import { systemClock } from '../../shared/ports';
import { type Azurite, startAzurite } from '../../local/azurite';

jest.setTimeout(60_000);

let workspace: string;
let azurite: Azurite;
let service: BlobServiceClient;
const location = { namespace: 'ehns', eventHub: 'detections' };

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'capture-archive-'));
  azurite = await startAzurite({ location: workspace });
  service = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString });
});

afterAll(async () => {
  await azurite?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

describe('BlobCaptureArchive on Azurite', () => {
  it('writes, reads back, and lists [from, to) over partitions, hours and days', async () => {
    const archive = new BlobCaptureArchive(service, 'capture-a', location, { createContainer: true });
    const at = (day: number, hour: number, minute: number, second = 0) => Date.UTC(2026, 10, day, hour, minute, second);
    const written = [
      captureBlobName(location, '0', at(22, 9, 59, 59)),
      captureBlobName(location, '0', at(22, 10, 0)),
      captureBlobName(location, '3', at(22, 10, 0)),
      captureBlobName(location, '12', at(22, 11, 30)),
      captureBlobName(location, '1', at(22, 12, 0)),
      captureBlobName(location, '1', at(24, 0, 0)),
      captureBlobName({ namespace: 'ehns', eventHub: 'other' }, '0', at(22, 10, 30)),
    ];
    for (const [index, name] of written.entries()) await archive.write(name, Buffer.from(`file ${index}`));

    expect(Buffer.from((await archive.read(written[1]!))!).toString()).toBe('file 1');
    expect(await archive.read('ehns/detections/9/2026/11/22/10/00/00.avro')).toBeNull();

    const hourRange = await archive.list(at(22, 10, 0), at(22, 12, 0));
    expect(hourRange.map((blob) => blob.name)).toEqual([written[1], written[2], written[3]]);
    expect(hourRange.map((blob) => blob.partitionId)).toEqual(['0', '3', '12']);
    expect(hourRange[0]?.size).toBe(6);

    // Beyond two days the listing walks day prefixes; the result is the same kind of selection.
    const dayRange = await archive.list(at(21, 0, 0), at(24, 0, 1));
    expect(dayRange.map((blob) => blob.name)).toEqual([written[0], written[1], written[2], written[3], written[4], written[5]]);
  });

  it('lists nothing (rather than failing) when nothing was ever captured', async () => {
    const archive = new BlobCaptureArchive(service, 'capture-missing', location);
    expect(await archive.list(0, Date.UTC(2026, 10, 22))).toEqual([]);
    expect(await archive.read('ehns/detections/0/2026/11/22/10/00/00.avro')).toBeNull();
  });
});

describe('BlobCaptureArchive.stream and a replay in ranges on Azurite', () => {
  /** Bodies that deflate cannot shrink much, so a few thousand events make a file of many blocks. */
  const body = (oid: number) =>
    Buffer.from(
      `{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":${oid},"item_name":"car","timestamp_detected":1795341600000,"n":"${createHash('sha256').update(String(oid)).digest('hex')}"}`,
    );

  it('streams a blob from any offset, and a replay split in ranges meets every event exactly once', async () => {
    const archive = new BlobCaptureArchive(service, 'capture-stream', location, { createContainer: true });
    const now = Date.now();
    const count = 4_000;
    const events = Array.from({ length: count }, (_, index) => ({
      sequenceNumber: String(index),
      enqueuedMs: now - 60_000,
      body: body(index + 1),
    }));
    const file = await buildCaptureFile(location, '0', CaptureWindow.of(now - 60_000, events));
    await archive.write(file.name, file.bytes);

    // From an offset, the stream yields exactly the rest of the blob.
    const chunks: Buffer[] = [];
    for await (const chunk of (await archive.stream(file.name, 1000))!) chunks.push(Buffer.from(chunk));
    expect(Buffer.concat(chunks).equals(file.bytes.subarray(1000))).toBe(true);
    expect(await archive.stream('ehns/detections/0/2026/11/22/10/00/00.avro', 0)).toBeNull();

    const stored = new Set<string>();
    let duplicates = 0;
    const deps: ReplayDeps = {
      captures: archive,
      ingest: (messages) => {
        for (const message of messages) {
          const oid = /"detection_oid":(\d+)/.exec(Buffer.from(message.body as Uint8Array).toString())![1]!;
          if (stored.has(oid)) duplicates += 1;
          stored.add(oid);
        }
        return Promise.resolve({
          received: messages.length,
          stored: messages.length,
          duplicates: 0,
          conflicts: 0,
          invalid: 0,
          unknown_location: 0,
        });
      },
      clock: systemClock,
      dedupTtlSeconds: 3600,
      sliceEvents: 300,
    };
    let position: ReplayPosition | undefined;
    let ranges = 0;
    for (;;) {
      const range = await replayRange(file.name, position, deps, { events: 700, ms: Infinity });
      expect(range.status).toBe('replayed');
      ranges += 1;
      if (range.next === null) break;
      position = range.next;
    }
    expect({ stored: stored.size, duplicates }).toEqual({ stored: count, duplicates: 0 });
    expect(ranges).toBeGreaterThan(4);
  });
});

describe('captureLocationOf', () => {
  it('takes the namespace name from the endpoint or the connection string', () => {
    expect(
      captureLocationOf(
        { kind: 'identity', endpoint: 'contoso-eh.servicebus.windows.net', credential: 'default', clientId: undefined },
        'detections',
      ),
    ).toEqual({
      namespace: 'contoso-eh',
      eventHub: 'detections',
    });
    expect(
      captureLocationOf(
        { kind: 'connectionString', value: 'Endpoint=sb://contoso-eh.servicebus.windows.net/;SharedAccessKeyName=x;SharedAccessKey=y' },
        'hub',
      ),
    ).toEqual({ namespace: 'contoso-eh', eventHub: 'hub' });
    expect(() => captureLocationOf({ kind: 'connectionString', value: 'nonsense' }, 'hub')).toThrow(/namespace/);
  });
});
