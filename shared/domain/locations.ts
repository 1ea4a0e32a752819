import { parse as parseCsv } from 'csv-parse/sync';
import { describe, type Int64, parseInt64 } from './ids';
import { decodeUtf8, parseJsonExact } from './json';

/** Dataset B: location oid → location name. */
export type LocationTable = ReadonlyMap<Int64, string>;
export type DatasetFormat = 'csv' | 'jsonl' | 'json' | 'parquet';

export class DatasetError extends Error {
  constructor(message: string) {
    super(`Dataset B: ${message}`);
    this.name = 'DatasetError';
  }
}

const PARQUET_MAGIC = 'PAR1';

/** Picks the format from the file name, falling back to the content for names without a known ending. */
export function detectFormat(name: string, bytes: Uint8Array): DatasetFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.parquet')) return 'parquet';
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') === PARQUET_MAGIC) return 'parquet';
  const head = Buffer.from(bytes.subarray(0, 64)).toString('utf8').trimStart();
  if (head.startsWith('[')) return 'json';
  if (head.startsWith('{')) return 'jsonl';
  return 'csv';
}

export async function parseLocations(name: string, bytes: Uint8Array): Promise<LocationTable> {
  const format = detectFormat(name, bytes);
  const records = format === 'parquet' ? await parquetRecords(bytes) : textRecords(format, decodeUtf8(bytes));
  return buildTable(records);
}

type RawRecord = { line: number; fields: Record<string, unknown> };

function textRecords(format: Exclude<DatasetFormat, 'parquet'>, text: string): RawRecord[] {
  switch (format) {
    case 'csv': {
      let rows: Record<string, string>[];
      try {
        rows = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: false });
      } catch (error) {
        throw new DatasetError(`not valid CSV: ${(error as Error).message}`);
      }
      // Line 1 is the header, so data starts on line 2.
      return rows.map((fields, index) => ({ line: index + 2, fields }));
    }
    case 'jsonl':
      return text
        .split('\n')
        .map((line, index) => ({ line: index + 1, text: line.trim() }))
        .filter((row) => row.text !== '')
        .map((row) => ({ line: row.line, fields: asObject(parseJsonLine(row.text, row.line), row.line) }));
    case 'json': {
      let parsed: unknown;
      try {
        parsed = parseJsonExact(text);
      } catch (error) {
        throw new DatasetError(`not valid JSON: ${(error as Error).message}`);
      }
      if (!Array.isArray(parsed)) throw new DatasetError('a JSON file must hold an array of locations');
      return parsed.map((value, index) => ({ line: index + 1, fields: asObject(value, index + 1) }));
    }
  }
}

async function parquetRecords(bytes: Uint8Array): Promise<RawRecord[]> {
  const { parquetReadObjects } = await import('hyparquet');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = await parquetReadObjects({ file: buffer });
    return rows.map((fields, index) => ({ line: index + 1, fields }));
  } catch (error) {
    throw new DatasetError(`not a readable Parquet file: ${(error as Error).message}`);
  }
}

function parseJsonLine(text: string, line: number): unknown {
  try {
    return parseJsonExact(text);
  } catch (error) {
    throw new DatasetError(`line ${line} is not valid JSON: ${(error as Error).message}`);
  }
}

function asObject(value: unknown, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DatasetError(`row ${line} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function buildTable(records: readonly RawRecord[]): LocationTable {
  const table = new Map<Int64, string>();
  for (const { line, fields } of records) {
    if (!Object.hasOwn(fields, 'geographical_location_oid')) throw new DatasetError(`row ${line}: geographical_location_oid is missing`);
    const oid = parseInt64(fields['geographical_location_oid']);
    if (!oid.ok) throw new DatasetError(`row ${line}: geographical_location_oid ${oid.problem}`);
    const name = Object.hasOwn(fields, 'geographical_location') ? fields['geographical_location'] : undefined;
    if (typeof name !== 'string') throw new DatasetError(`row ${line}: geographical_location must be a string, got ${describe(name)}`);
    if (table.has(oid.value)) throw new DatasetError(`duplicate geographical_location_oid ${oid.value} (row ${line})`);
    table.set(oid.value, name);
  }
  return table;
}

/** The join: the location's name, or null when Dataset B does not know it (still counted). */
export function locationName(table: LocationTable, oid: Int64): string | null {
  return table.get(oid) ?? null;
}
