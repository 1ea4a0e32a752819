import { isSafeNumber, parse as parseLossless, LosslessNumber } from 'lossless-json';

/**
 * Parses JSON text without losing 64-bit integers. Plain JSON.parse is used when the text holds no
 * number that it could change (long digit runs, fractions, exponents); otherwise the lossless
 * parser keeps such numbers as text so that validation can judge them exactly.
 */
export function parseJsonExact(text: string): unknown {
  if (!hasRiskyNumber(text)) return JSON.parse(text) as unknown;
  return parseLossless(text, undefined, { parseNumber: keepUnsafeNumbersAsText, onDuplicateKey: lastValueWins });
}

/**
 * A string literal (consumed whole, escapes included, so that digits inside it are never looked
 * at), or a number a double could change: 16 digits in a row, a fraction or an exponent. Ids sent
 * as 19-digit strings are the common case and must not send a whole body to the slow parser.
 *
 * An unterminated literal runs to the end of the text (the text is not JSON then, and whichever
 * parser reads it refuses it): once a literal has started, the pattern cannot fail, so a hostile
 * body of unclosed quotes costs one pass, not one pass per quote.
 */
const STRING_OR_RISKY_NUMBER = /"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?$)|\d{16}|\d[.eE]/g;
const QUOTE = 0x22;

/** True when the text holds, outside its string literals, a number that JSON.parse might not keep exactly. */
export function hasRiskyNumber(text: string): boolean {
  const pattern = STRING_OR_RISKY_NUMBER;
  pattern.lastIndex = 0;
  // test() rather than exec(): no match object per string literal. A string match ends with its
  // closing quote; a number match never ends with a quote.
  while (pattern.test(text)) {
    if (text.charCodeAt(pattern.lastIndex - 1) !== QUOTE) {
      pattern.lastIndex = 0;
      return true;
    }
  }
  return false;
}

/** A repeated key takes its last value, as JSON.parse does, so the outcome never depends on which parser read the body. */
function lastValueWins({ newValue }: { newValue: unknown }): unknown {
  return newValue;
}

function keepUnsafeNumbersAsText(digits: string): unknown {
  return /^-?\d+$/.test(digits) && isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits);
}

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

export type ParsedRow = { index: number; value: unknown } | { index: number; error: string; raw: string };

/**
 * Splits a request or message body into rows: a JSON array of events, a single JSON object, or
 * NDJSON (one event per line). A malformed NDJSON line is a per-row error; a malformed array is a
 * whole-body error because no row boundary can be trusted after it.
 */
export function parseEventRows(raw: string | Uint8Array): ParsedRow[] {
  const text = typeof raw === 'string' ? stripBom(raw) : decodeUtf8(raw);
  const trimmed = text.trimStart();
  if (trimmed === '') throw new BodyError(400, 'the body is empty: send a JSON array of events or NDJSON');
  if (trimmed.startsWith('[')) {
    const parsed = parseWhole(trimmed);
    if (!Array.isArray(parsed)) throw new BodyError(400, 'the body is not a JSON array');
    return (parsed as unknown[]).map((value, index) => ({ index, value }));
  }
  if (trimmed.startsWith('{')) {
    const whole = tryParse(trimmed);
    if (whole.ok && isPlainObjectLike(whole.value)) return [{ index: 0, value: whole.value }];
  } else {
    throw new BodyError(400, 'the body is not JSON: send a JSON array of events or NDJSON');
  }
  const rows: ParsedRow[] = [];
  let index = 0;
  const lines = text.split('\n');
  for (const [lineIndex, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const result = tryParse(line);
    // The reason names the line a person finds in their file (blank lines included); `index` counts rows.
    rows.push(
      result.ok
        ? { index, value: result.value }
        : { index, error: `malformed JSON on NDJSON line ${lineIndex + 1}: ${result.error}`, raw: line },
    );
    index += 1;
  }
  return rows;
}

function parseWhole(text: string): unknown {
  const result = tryParse(text);
  if (!result.ok) throw new BodyError(400, `the body is not valid JSON: ${result.error}`);
  return result.value;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: parseJsonExact(text) };
  } catch (error) {
    // Deeply nested input can overflow the parser's stack; that is bad input, not a server fault.
    const message = error instanceof RangeError ? 'nesting is too deep' : (error as Error).message;
    return { ok: false, error: message };
  }
}

function isPlainObjectLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Invalid UTF-8 is refused rather than silently repaired, so an item name is never altered. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new BodyError(400, 'the body is not valid UTF-8');
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
