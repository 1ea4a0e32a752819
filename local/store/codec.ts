/**
 * Text bound to the driver as UTF-8 bytes rather than as a JS string: payloads (counter states,
 * tallies) go in as BLOBs of UTF-8 and come back as bytes decoded natively. The format dates from the
 * WASM driver, which encoded bound strings in JavaScript; it stays so that every store reads alike.
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
 * Free text (item and location names) for a TEXT column. A name with an embedded U+0000 or an
 * unpaired surrogate would not survive a TEXT column's UTF-8 round trip (the WASM driver of earlier
 * stores cut it), so such a name goes in as a BLOB holding its JSON string literal instead: rare, and
 * read back exactly.
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
