/**
 * Reads the JSON export of infra/monitoring/ru-by-operation.kql (`az monitor log-analytics query … -o
 * json`): an array of rows with `operation`, `requests` and `ru_per_request`, numbers possibly as
 * strings. Rows of the same operation are averaged, weighted by requests. Rows without requests are the
 * model's own rows (operations the code cannot see) and are skipped.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../lib/cli';
import { type CodeOperation, CODE_OPERATIONS, isCodeOperation, type MeasuredCharges, MODEL_ONLY_OPERATIONS } from './operations';

export interface MeasuredFile {
  readonly charges: MeasuredCharges;
  /** Operations in the file the model does not know, ignored (named in the report). */
  readonly ignored: readonly string[];
}

function numberOf(value: unknown, where: string, column: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(number) || number < 0)
    throw new UsageError(`${where}: ${column} must be a number >= 0, got ${JSON.stringify(value)}`);
  return number;
}

export function parseMeasured(text: string, path: string): MeasuredFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--measured: ${path} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new UsageError(
      `--measured: ${path} must hold a JSON array of rows (az monitor log-analytics query ... -o json), got ${parsed === null ? 'null' : typeof parsed}`,
    );
  const sums = new Map<CodeOperation, { requests: number; ru: number }>();
  const ignored: string[] = [];
  parsed.forEach((row: unknown, index) => {
    const where = `--measured: ${path}, row ${index + 1}`;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UsageError(`${where} is not an object`);
    const record = row as Record<string, unknown>;
    const operation = record['operation'];
    if (typeof operation !== 'string' || operation === '') throw new UsageError(`${where} has no "operation" column`);
    if (!('ru_per_request' in record)) throw new UsageError(`${where} (${operation}) has no "ru_per_request" column`);
    if (!('requests' in record)) throw new UsageError(`${where} (${operation}) has no "requests" column`);
    const requests = numberOf(record['requests'], where, 'requests');
    const ruPerRequest = numberOf(record['ru_per_request'], where, 'ru_per_request');
    if (!isCodeOperation(operation)) {
      if (!(MODEL_ONLY_OPERATIONS as readonly string[]).includes(operation)) ignored.push(operation);
      return;
    }
    if (requests === undefined || requests === 0 || ruPerRequest === undefined) return;
    const sum = sums.get(operation) ?? { requests: 0, ru: 0 };
    sums.set(operation, { requests: sum.requests + requests, ru: sum.ru + requests * ruPerRequest });
  });
  if (sums.size === 0)
    throw new UsageError(`--measured: ${path} holds no measured operation (none of ${CODE_OPERATIONS.join(', ')} with requests > 0)`);
  const charges: MeasuredCharges = Object.fromEntries(
    [...sums].map(([operation, sum]) => [operation, { requests: sum.requests, ruPerRequest: sum.ru / sum.requests }]),
  );
  return { charges, ignored };
}

export function readMeasured(path: string, readFile: (path: string) => string = (file) => readFileSync(file, 'utf8')): MeasuredFile {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new UsageError(`--measured: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseMeasured(text, path);
}
