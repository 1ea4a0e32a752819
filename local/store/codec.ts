/**
 * Text bound to the driver as UTF-8 bytes rather than as a JS string. node-sqlite3-wasm encodes a
 * bound string to UTF-8 in JavaScript, character by character, and passes it as a NUL-terminated C
 * string (cutting it at an embedded U+0000); a Uint8Array is copied into WASM memory whole, with its
 * length. So payloads go in as BLOBs of UTF-8 (Buffer.from encodes natively) and come back as bytes
 * decoded natively: faster for anything longer than a few characters, and exact for any string.
 */
export function utf8Blob(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

const utf8 = new TextDecoder('utf-8');

/** Reads a column written by `utf8Blob` (or, from older stores, written as TEXT). */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return utf8.decode(value);
  throw new Error(`expected a UTF-8 blob or text in the store, got ${value === null ? 'null' : typeof value}`);
}

/** JSON bound as a UTF-8 BLOB. */
export function jsonBlob(value: unknown): Uint8Array {
  return utf8Blob(JSON.stringify(value));
}

export function parseJsonColumn<T>(value: unknown): T {
  return JSON.parse(textOf(value)) as T;
}

/**
 * Free text (item and location names) for a TEXT column. Bound as a string it would be cut at an
 * embedded U+0000, and an unpaired surrogate would be garbled by the driver's UTF-8 encoder, so such
 * a name goes in as a BLOB holding its JSON string literal instead: rare, and read back exactly.
 * Everything else stays plain TEXT, the cheapest to bind and to read.
 */
export function freeText(text: string): string | Uint8Array {
  return text.isWellFormed() && !text.includes('\u0000') ? text : utf8Blob(JSON.stringify(text));
}

/** Reads a column written by `freeText`. */
export function freeTextOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return JSON.parse(utf8.decode(value)) as string;
  throw new Error(`expected text in the store, got ${value === null ? 'null' : typeof value}`);
}
