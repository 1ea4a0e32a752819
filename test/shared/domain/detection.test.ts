import { validateEvent } from '../../../shared/domain/detection';
import { parseEventRows } from '../../../shared/domain/json';

const valid = {
  geographical_location_oid: 1,
  video_camera_oid: 2,
  detection_oid: 3,
  item_name: 'car',
  timestamp_detected: 1_700_000_000_000,
};

describe('validateEvent', () => {
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

  it('names the field in its reason', () => {
    expect(validateEvent({ ...valid, item_name: '' })).toEqual({ ok: false, reason: 'item_name: must not be empty' });
    expect(validateEvent({ ...valid, detection_oid: 1.5 })).toMatchObject({ ok: false, reason: expect.stringMatching(/^detection_oid:/) });
  });
});
