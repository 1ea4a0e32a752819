import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureFormatError, decodeCaptureFile, parseEnqueuedTime } from '../../../shared/capture';
import { DOCUMENTED_RECORDS, DOCUMENTED_SCHEMA, encodeFixture, REORDERED_SCHEMA } from '../../fixtures/capture/make-fixtures';

const fixture = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'capture', name));
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

describe('reading Capture files written by someone else', () => {
  it('decodes a deflate file written with the documented schema, typed properties included', async () => {
    const file = await decodeCaptureFile(fixture('documented-schema.avro'));

    expect(file.codec).toBe('deflate');
    expect(file.schema).toMatchObject({ name: 'Microsoft.ServiceBus.Messaging.EventData' });
    expect(file.events.map((event) => event.sequenceNumber)).toEqual(['2400', '2401', '2402']);
    const [first, second, third] = file.events;
    expect(first?.offset).toBe('4294969320');
    expect(first?.enqueuedTimeUtc).toBe('11/22/2026 10:00:14 AM');
    // A long stays a long (bigint), a double a number: the union branches are not confused.
    expect(first?.systemProperties).toEqual({ 'x-opt-enqueued-time': 1795348814674n, 'x-opt-partition-key': 'cam-7' });
    expect(first?.properties).toEqual({ 'content-type': 'application/json', retry: 0n, score: 0.5 });
    // The body bytes are kept as written: the id past 2^53 keeps its last digit.
    expect(text(first?.body ?? null)).toContain('"detection_oid":9007199254740993');
    expect(text(second?.body ?? null)).toContain('"detection_oid":9007199254740992');
    expect(Buffer.from(second?.properties['blob'] as Uint8Array)).toEqual(Buffer.from([0, 1, 2]));
    expect(third?.body).toBeNull();
  });

  it('decodes with the schema in the file: other field order, a null property branch, an extra field, no compression', async () => {
    const file = await decodeCaptureFile(fixture('reordered-fields.avro'));

    expect(file.codec).toBe('null');
    expect(file.events).toHaveLength(1);
    expect(file.events[0]).toMatchObject({
      sequenceNumber: '5',
      offset: '0',
      enqueuedTimeUtc: '2026-11-22T10:00:14.6740000Z',
      properties: { note: null, origin: 'camera' },
      systemProperties: { 'x-opt-sequence-number': 5n },
    });
    expect(text(file.events[0]?.body ?? null)).toContain('"item_name":"dog"');
  });

  it('decodes a file of many blocks, as a long capture window makes', async () => {
    const records = Array.from({ length: 3000 }, (_, index) => ({ ...DOCUMENTED_RECORDS[0], SequenceNumber: index }));
    const bytes = await encodeFixture(DOCUMENTED_SCHEMA, records, 'deflate', 1);
    const file = await decodeCaptureFile(bytes);
    expect(file.events).toHaveLength(3000);
    expect(file.events[2999]?.sequenceNumber).toBe('2999');
  });

  it('decodes an empty file (a window Capture wrote with no events)', async () => {
    const file = await decodeCaptureFile(await encodeFixture(REORDERED_SCHEMA, [], 'deflate', 2));
    expect(file.events).toEqual([]);
  });
});

describe('corrupt files', () => {
  const corrupt = (bytes: Uint8Array) => decodeCaptureFile(bytes);

  it('rejects bytes that are not an Avro container', async () => {
    await expect(corrupt(Buffer.from('{"detection_oid":1}'))).rejects.toThrow(CaptureFormatError);
    await expect(corrupt(Buffer.alloc(0))).rejects.toThrow(/magic/);
  });

  it('rejects a file cut short, in the header or in a block', async () => {
    const whole = fixture('documented-schema.avro');
    await expect(corrupt(whole.subarray(0, 40))).rejects.toThrow(/truncated/);
    await expect(corrupt(whole.subarray(0, whole.length - 5))).rejects.toThrow(CaptureFormatError);
  });

  it('rejects a file whose compressed block is damaged', async () => {
    const damaged = Buffer.from(fixture('documented-schema.avro'));
    // Flip bytes inside the deflate data of the only block (between the header and the final sync marker).
    for (let index = damaged.length - 60; index < damaged.length - 30; index += 1) damaged[index] = (damaged[index] ?? 0) ^ 0xff;
    await expect(corrupt(damaged)).rejects.toThrow(CaptureFormatError);
  });

  it('rejects an Avro file of some other record type', async () => {
    const other = await encodeFixture({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] }, [{ x: 1 }], 'null', 3);
    await expect(corrupt(other)).rejects.toThrow(/not a Capture EventData record/);
  });
});

describe('parseEnqueuedTime', () => {
  it.each([
    ['2026-11-22T10:00:14.674Z', Date.UTC(2026, 10, 22, 10, 0, 14, 674)],
    ['2026-11-22T10:00:14.6740000Z', Date.UTC(2026, 10, 22, 10, 0, 14, 674)],
    ['2026-11-22T10:00:14', Date.UTC(2026, 10, 22, 10, 0, 14)],
    ['11/22/2026 10:00:14 AM', Date.UTC(2026, 10, 22, 10, 0, 14)],
    ['11/22/2026 12:00:14 AM', Date.UTC(2026, 10, 22, 0, 0, 14)],
    ['1/2/2026 3:04:05 PM', Date.UTC(2026, 0, 2, 15, 4, 5)],
    ['01/02/2026 15:04:05', Date.UTC(2026, 0, 2, 15, 4, 5)],
  ])('reads %s', (input, expected) => {
    expect(parseEnqueuedTime(input)).toBe(expected);
  });

  it.each(['', 'yesterday', '13:00', '1/2/2026 13:04:05 PM'])('gives null for %p', (input) => {
    expect(parseEnqueuedTime(input)).toBeNull();
  });
});
