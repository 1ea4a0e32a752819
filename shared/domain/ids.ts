/**
 * 64-bit identifiers (bigint in the source system) kept as canonical decimal strings, so that ids
 * above 2^53 never pass through a JS double.
 */
export type Int64 = string;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Up to 18 digits is always inside the signed 64-bit range, and this form is already canonical. */
const SHORT_CANONICAL = /^-?(?:0|[1-9]\d{0,17})$/;
const DECIMAL_INTEGER = /^-?\d+$/;

export type Int64Result = { ok: true; value: Int64 } | { ok: false; problem: string };

/** The digits behind a number that the lossless JSON parser kept as text. */
export interface NumericText {
  readonly isLosslessNumber: true;
  readonly value: string;
}

export function isNumericText(value: unknown): value is NumericText {
  return (
    typeof value === 'object' &&
    value !== null &&
    // The parser's number holder is a class instance; a plain JSON object of the same shape is input, not a number.
    Object.getPrototypeOf(value) !== Object.prototype &&
    (value as { isLosslessNumber?: unknown }).isLosslessNumber === true &&
    typeof (value as { value?: unknown }).value === 'string'
  );
}

/**
 * Accepts a JSON integer (exactly, even past 2^53, when it came through the lossless parser), a
 * bigint, or a string of decimal digits with an optional minus sign. Returns the canonical decimal
 * form: leading zeros dropped, so "007" and 7 name the same detection.
 */
export function parseInt64(value: unknown): Int64Result {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { ok: true, value: String(value) };
    return Number.isInteger(value)
      ? { ok: false, problem: 'is outside the exactly representable range; send it as a string' }
      : { ok: false, problem: 'must be an integer, not a fraction' };
  }
  if (typeof value === 'bigint') return inRange(value);
  let text: string;
  if (typeof value === 'string') text = value;
  else if (isNumericText(value)) text = value.value;
  else return { ok: false, problem: `must be a 64-bit integer, got ${describe(value)}` };

  if (SHORT_CANONICAL.test(text)) return { ok: true, value: text === '-0' ? '0' : text };
  if (!DECIMAL_INTEGER.test(text)) {
    return typeof value === 'string'
      ? { ok: false, problem: 'must be a string of decimal digits' }
      : { ok: false, problem: 'must be an integer, not a fraction or exponent' };
  }
  return inRange(BigInt(text));
}

function inRange(value: bigint): Int64Result {
  if (value < INT64_MIN || value > INT64_MAX) {
    return { ok: false, problem: 'is outside the signed 64-bit range' };
  }
  return { ok: true, value: value.toString() };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isNumericText(value)) return `the number ${value.value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Orders canonical decimal ids numerically without converting them to numbers. */
export function compareInt64(a: Int64, b: Int64): number {
  if (a === b) return 0;
  const aNeg = a.startsWith('-');
  const bNeg = b.startsWith('-');
  if (aNeg !== bNeg) return aNeg ? -1 : 1;
  const magnitude = a.length !== b.length ? a.length - b.length : a < b ? -1 : 1;
  return aNeg ? -magnitude : magnitude;
}
