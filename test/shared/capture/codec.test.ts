import * as zlib from 'node:zlib';
import { streams } from 'avsc';
import { CAPTURE_SCHEMA, type CaptureEvent, decodeCaptureFile, encodeCaptureFile, syncMarkerFor } from '../../../shared/capture';

const event = (sequence: number, body: string | null, extra: Partial<CaptureEvent> = {}): CaptureEvent => ({
  sequenceNumber: String(sequence),
  offset: String(sequence * 100),
  enqueuedTimeUtc: new Date(Date.UTC(2026, 10, 22, 10, 0, sequence)).toISOString(),
  systemProperties: {},
  properties: {},
  body: body === null ? null : Buffer.from(body),
  ...extra,
});

/** The header as another Avro reader sees it, through avsc's own stream decoder. */
function readHeader(bytes: Buffer): Promise<{ schema: unknown; codec: string }> {
  return new Promise((resolve, reject) => {
    const decoder = new streams.BlockDecoder();
    decoder.on('metadata', (_type: unknown, codec: string, header: { meta: Record<string, Buffer> }) =>
      resolve({ schema: JSON.parse(header.meta['avro.schema']?.toString() ?? 'null'), codec }),
    );
    decoder.on('error', reject);
    decoder.resume();
    decoder.end(bytes);
  });
}

describe('encodeCaptureFile', () => {
  it('writes a deflate container whose header holds the Capture schema', async () => {
    const bytes = await encodeCaptureFile([event(1, '{"a":1}')]);
    const header = await readHeader(bytes);
    expect(header.codec).toBe('deflate');
    expect(header.schema).toEqual({
      type: 'record',
      name: 'EventData',
      namespace: 'Microsoft.ServiceBus.Messaging',
      fields: [
        { name: 'SequenceNumber', type: 'long' },
        { name: 'Offset', type: 'string' },
        { name: 'EnqueuedTimeUtc', type: 'string' },
        { name: 'SystemProperties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes'] } },
        { name: 'Properties', type: { type: 'map', values: ['long', 'double', 'string', 'bytes', 'null'] } },
        { name: 'Body', type: ['null', 'bytes'] },
      ],
    });
  });

  it('round-trips events, bodies byte for byte, and typed properties', async () => {
    const events = [
      event(1, '{"detection_oid":9007199254740993}', {
        properties: { kind: 'json', n: 3n, ratio: 0.25, raw: Buffer.from([9]), none: null },
      }),
      event(2, null, { systemProperties: { 'x-opt-enqueued-time': 1795348814674n } }),
      event(3, 'é\u0000\u{1F600}'),
    ];
    const decoded = await decodeCaptureFile(await encodeCaptureFile(events));
    expect(decoded.events.map((e) => ({ ...e, body: e.body && Buffer.from(e.body) }))).toEqual(
      events.map((e) => ({
        ...e,
        body: e.body && Buffer.from(e.body),
        properties: { ...e.properties, raw: e.properties['raw'] && Buffer.from([9]) },
      })),
    );
  });

  it('writes identical bytes for the same events and sync marker, so a rewrite is a no-op', async () => {
    const events = [event(1, 'a'), event(2, 'b')];
    const marker = syncMarkerFor('local/detections/0/2026/11/22/10/00/00.avro');
    const first = await encodeCaptureFile(events, { syncMarker: marker });
    const second = await encodeCaptureFile(events, { syncMarker: marker });
    expect(first.equals(second)).toBe(true);
    const other = await encodeCaptureFile(events, { syncMarker: syncMarkerFor('local/detections/1/2026/11/22/10/00/00.avro') });
    expect(first.equals(other)).toBe(false);
  });

  it("writes the very bytes of avsc's BlockEncoder at zlib's fastest level, blocks included", async () => {
    // Enough records for several 64 KiB blocks, and one larger than a block, which grows the blocks after it.
    const events = Array.from({ length: 1500 }, (_, index) => event(index, `{"n":${index},"pad":"${'p'.repeat(index % 250)}"}`));
    events.splice(600, 0, event(5000, 'L'.repeat(150_000), { properties: { kind: 'big', n: 3n, ratio: 0.5, none: null } }));
    const marker = syncMarkerFor('local/detections/0/2026/11/22/10/00/00.avro');
    const expected = await new Promise<Buffer>((resolve, reject) => {
      const encoder = new streams.BlockEncoder(CAPTURE_SCHEMA as unknown as ConstructorParameters<typeof streams.BlockEncoder>[0], {
        codec: 'deflate',
        codecs: {
          deflate: (data: Buffer, done: (error: Error | null, result: Buffer) => void) =>
            zlib.deflateRaw(data, { level: zlib.constants.Z_BEST_SPEED }, done),
        },
        writeHeader: 'always',
        syncMarker: Buffer.from(marker),
      });
      const chunks: Buffer[] = [];
      encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
      encoder.on('error', reject);
      encoder.on('end', () => resolve(Buffer.concat(chunks)));
      for (const e of events) {
        encoder.write({
          SequenceNumber: Number(e.sequenceNumber),
          Offset: e.offset,
          EnqueuedTimeUtc: e.enqueuedTimeUtc,
          SystemProperties: {},
          Properties: e.sequenceNumber === '5000' ? { kind: { string: 'big' }, n: { long: 3 }, ratio: { double: 0.5 }, none: null } : {},
          Body: Buffer.from(e.body as Uint8Array),
        });
      }
      encoder.end();
    });
    const written = await encodeCaptureFile(events, { syncMarker: marker });
    expect(written.length).toBe(expected.length);
    expect(written.equals(expected)).toBe(true);
    // Without events, the header alone: the same header.
    const header = await encodeCaptureFile([], { syncMarker: marker });
    expect(expected.subarray(0, header.length).equals(header)).toBe(true);
  });

  it('refuses what it cannot write exactly', async () => {
    await expect(encodeCaptureFile([event(1, 'a', { sequenceNumber: '9007199254740993' })])).rejects.toThrow(/SequenceNumber/);
    await expect(encodeCaptureFile([event(1, 'a', { systemProperties: { gone: null } })])).rejects.toThrow(/may not be null/);
  });
});
