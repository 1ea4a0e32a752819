import { describe, type Int64, isNumericText, parseInt64 } from './ids';

/** One valid camera detection (Dataset A), with its ids in canonical decimal form. */
export interface Detection {
  readonly locationOid: Int64;
  readonly cameraOid: Int64;
  readonly detectionOid: Int64;
  readonly itemName: string;
  readonly timestampMs: number;
}

export type Validation = { ok: true; detection: Detection } | { ok: false; reason: string };

export const MAX_ITEM_NAME_CHARS = 256;
/** 9999-12-31T23:59:59.999Z: later hours have no key like 2026-11-22T10 (the ISO form needs a six-digit year). */
/** The end of year 9999 UTC: later instants have no four-digit year, so no hour key. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

/** Validates one raw event against the spec. The reason always starts with the field it names. */
export function validateEvent(raw: unknown): Validation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || isNumericText(raw)) {
    return { ok: false, reason: `event: must be a JSON object, got ${describe(raw)}` };
  }
  const fields = raw as Record<string, unknown>;
  const location = idField(fields, 'geographical_location_oid');
  if (!location.ok) return location;
  const camera = idField(fields, 'video_camera_oid');
  if (!camera.ok) return camera;
  const detection = idField(fields, 'detection_oid');
  if (!detection.ok) return detection;

  const itemName = ownField(fields, 'item_name');
  if (itemName === undefined) return missing('item_name');
  if (typeof itemName !== 'string') {
    return { ok: false, reason: `item_name: must be a string, got ${describe(itemName)}` };
  }
  if (itemName.length === 0) return { ok: false, reason: 'item_name: must not be empty' };
  if (itemName.length > MAX_ITEM_NAME_CHARS && codePointLength(itemName) > MAX_ITEM_NAME_CHARS) {
    return { ok: false, reason: `item_name: longer than ${MAX_ITEM_NAME_CHARS} characters` };
  }
  if (!itemName.isWellFormed()) {
    return { ok: false, reason: 'item_name: contains an unpaired UTF-16 surrogate' };
  }

  const timestamp = ownField(fields, 'timestamp_detected');
  if (timestamp === undefined) return missing('timestamp_detected');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    const got = isNumericText(timestamp) ? `the number ${timestamp.value}` : describe(timestamp);
    return { ok: false, reason: `timestamp_detected: must be an integer of epoch milliseconds, got ${got}` };
  }
  if (timestamp < 0 || timestamp > MAX_EPOCH_MS) {
    return { ok: false, reason: 'timestamp_detected: is outside the range of dates' };
  }

  return {
    ok: true,
    detection: {
      locationOid: location.value,
      cameraOid: camera.value,
      detectionOid: detection.value,
      itemName,
      timestampMs: timestamp,
    },
  };
}

function idField(fields: Record<string, unknown>, name: string): { ok: true; value: Int64 } | { ok: false; reason: string } {
  const value = ownField(fields, name);
  if (value === undefined) return missing(name);
  const parsed = parseInt64(value);
  return parsed.ok ? parsed : { ok: false, reason: `${name}: ${parsed.problem}` };
}

/** Only own properties count: a `__proto__` key in the input must not supply a field. */
function ownField(fields: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

function missing(name: string): { ok: false; reason: string } {
  return { ok: false, reason: `${name}: is missing` };
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** The wire form of a valid detection: ids as decimal strings, so any JSON reader keeps them exact. */
export interface DetectionWire {
  geographical_location_oid: string;
  video_camera_oid: string;
  detection_oid: string;
  item_name: string;
  timestamp_detected: number;
}

export function toWire(detection: Detection): DetectionWire {
  return {
    geographical_location_oid: detection.locationOid,
    video_camera_oid: detection.cameraOid,
    detection_oid: detection.detectionOid,
    item_name: detection.itemName,
    timestamp_detected: detection.timestampMs,
  };
}

/** Same detection, same facts: a copy that differs is a conflict (still a duplicate). */
export function sameFacts(a: Pick<Detection, 'locationOid' | 'itemName'>, b: Pick<Detection, 'locationOid' | 'itemName'>): boolean {
  return a.locationOid === b.locationOid && a.itemName === b.itemName;
}
