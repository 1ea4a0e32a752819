import { MAX_ITEM_NAME_CHARS, sameFacts, toWire, validateEvent } from '../../../shared/domain/detection';
import { parseEventRows, parseJsonExact } from '../../../shared/domain/json';

const valid = {
  geographical_location_oid: 1,
  video_camera_oid: 2,
  detection_oid: 3,
  item_name: 'car',
  timestamp_detected: 1_700_000_000_000,
};

const reasonOf = (raw: unknown): string => {
  const result = validateEvent(raw);
  return result.ok ? 'ok' : result.reason;
};

describe('validateEvent', () => {
  it('accepts a valid event, ids in canonical decimal form, extra fields ignored', () => {
    expect(validateEvent({ ...valid, video_camera_oid: '0002', extra: { anything: true } })).toEqual({
      ok: true,
      detection: { locationOid: '1', cameraOid: '2', detectionOid: '3', itemName: 'car', timestampMs: 1_700_000_000_000 },
    });
  });

  it('keeps ids above 2^53 exact when they arrive as JSON integers', () => {
    const [a, b] = parseEventRows(
      '[{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":9007199254740993,"item_name":"car","timestamp_detected":1},' +
        '{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":9007199254740992,"item_name":"car","timestamp_detected":1}]',
    );
    const first = validateEvent((a as { value: unknown }).value);
    const second = validateEvent((b as { value: unknown }).value);
    expect(first.ok && first.detection.detectionOid).toBe('9007199254740993');
    expect(second.ok && second.detection.detectionOid).toBe('9007199254740992');
  });

  it.each(['geographical_location_oid', 'video_camera_oid', 'detection_oid'])('names %s in every reason about it', (field) => {
    expect(reasonOf({ ...valid, [field]: undefined })).toBe(`${field}: is missing`);
    expect(reasonOf({ ...valid, [field]: 1.5 })).toBe(`${field}: must be an integer, not a fraction`);
    expect(reasonOf({ ...valid, [field]: 2 ** 60 })).toBe(`${field}: is outside the exactly representable range; send it as a string`);
    expect(reasonOf({ ...valid, [field]: 'abc' })).toBe(`${field}: must be a string of decimal digits`);
    expect(reasonOf({ ...valid, [field]: '9223372036854775808' })).toBe(`${field}: is outside the signed 64-bit range`);
    expect(reasonOf({ ...valid, [field]: null })).toBe(`${field}: must be a 64-bit integer, got null`);
    expect(reasonOf({ ...valid, [field]: true })).toBe(`${field}: must be a 64-bit integer, got boolean`);
  });

  it('names item_name in every reason about it, counting characters by code point', () => {
    expect(reasonOf({ ...valid, item_name: undefined })).toBe('item_name: is missing');
    expect(reasonOf({ ...valid, item_name: 7 })).toBe('item_name: must be a string, got number');
    expect(reasonOf({ ...valid, item_name: null })).toBe('item_name: must be a string, got null');
    expect(reasonOf({ ...valid, item_name: '' })).toBe('item_name: must not be empty');
    expect(reasonOf({ ...valid, item_name: 'x'.repeat(MAX_ITEM_NAME_CHARS + 1) })).toBe('item_name: longer than 256 characters');
    expect(reasonOf({ ...valid, item_name: '\ud83d' })).toBe('item_name: contains an unpaired UTF-16 surrogate');
    // 256 astral characters are 512 UTF-16 units but 256 characters: accepted.
    expect(reasonOf({ ...valid, item_name: '😀'.repeat(MAX_ITEM_NAME_CHARS) })).toBe('ok');
    expect(reasonOf({ ...valid, item_name: '😀'.repeat(MAX_ITEM_NAME_CHARS + 1) })).toBe('item_name: longer than 256 characters');
  });

  it('keeps item_name exactly as given: case, spaces and all', () => {
    const result = validateEvent({ ...valid, item_name: '  Car ' });
    expect(result.ok && result.detection.itemName).toBe('  Car ');
  });

  it('names timestamp_detected in every reason about it', () => {
    expect(reasonOf({ ...valid, timestamp_detected: undefined })).toBe('timestamp_detected: is missing');
    expect(reasonOf({ ...valid, timestamp_detected: '1700000000000' })).toBe(
      'timestamp_detected: must be an integer of epoch milliseconds, got string',
    );
    expect(reasonOf({ ...valid, timestamp_detected: 1.5 })).toBe(
      'timestamp_detected: must be an integer of epoch milliseconds, got number',
    );
    const lossless = parseJsonExact('{"t":1.5,"big":99999999999999999999}') as Record<string, unknown>;
    expect(reasonOf({ ...valid, timestamp_detected: lossless['t'] })).toBe(
      'timestamp_detected: must be an integer of epoch milliseconds, got the number 1.5',
    );
    expect(reasonOf({ ...valid, timestamp_detected: lossless['big'] })).toBe(
      'timestamp_detected: must be an integer of epoch milliseconds, got the number 99999999999999999999',
    );
    expect(reasonOf({ ...valid, timestamp_detected: -1 })).toMatch(/^timestamp_detected: /);
    expect(reasonOf({ ...valid, timestamp_detected: 253_402_300_800_000 })).toMatch(/^timestamp_detected: /);
    expect(reasonOf({ ...valid, timestamp_detected: 0 })).toBe('ok');
  });

  it('names the event itself when it is not an object', () => {
    expect(reasonOf(null)).toBe('event: must be a JSON object, got null');
    expect(reasonOf([valid])).toBe('event: must be a JSON object, got an array');
    expect(reasonOf('x')).toBe('event: must be a JSON object, got string');
    expect(reasonOf((parseJsonExact('[9007199254740993]') as unknown[])[0])).toBe(
      'event: must be a JSON object, got the number 9007199254740993',
    );
  });

  it('does not take fields from a __proto__ key or the prototype chain', () => {
    const fromJson = parseJsonExact(`{"__proto__":${JSON.stringify(valid)}}`);
    expect(reasonOf(fromJson)).toBe('geographical_location_oid: is missing');
    expect(reasonOf(Object.create(valid) as unknown)).toBe('geographical_location_oid: is missing');
  });
});

describe('toWire and sameFacts', () => {
  it('writes ids as decimal strings', () => {
    const result = validateEvent({ ...valid, detection_oid: '9007199254740993' });
    expect(result.ok && toWire(result.detection)).toEqual({
      geographical_location_oid: '1',
      video_camera_oid: '2',
      detection_oid: '9007199254740993',
      item_name: 'car',
      timestamp_detected: 1_700_000_000_000,
    });
  });

  it('tells a conflicting copy by location or item, not by camera or time', () => {
    expect(sameFacts({ locationOid: '1', itemName: 'car' }, { locationOid: '1', itemName: 'car' })).toBe(true);
    expect(sameFacts({ locationOid: '1', itemName: 'car' }, { locationOid: '2', itemName: 'car' })).toBe(false);
    expect(sameFacts({ locationOid: '1', itemName: 'car' }, { locationOid: '1', itemName: 'Car' })).toBe(false);
  });
});
