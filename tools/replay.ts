/**
 * `npm run replay`: re-ingests the captured raw events of a time range through the local runtime or
 * the Function app (POST /api/replay, then follows the status URL), or backfills Dataset A files
 * through POST /api/events.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BlobReplayResult, ReplayReport, ReplayTotals } from '../shared/pipeline/replay';
import { HttpTarget, TargetUnreachable } from './lib/http';
import { formatCount, formatHelp, formatSeconds, type OptionSpec, parseOptions, type Progress, startProgress, UsageError } from './lib/cli';

export const REPLAY_OPTIONS: readonly OptionSpec[] = [
  { name: 'from', kind: 'string', placeholder: '<ISO time>', description: 'Start of the range (inclusive), e.g. 2026-11-22T10:00:00Z.' },
  { name: 'to', kind: 'string', placeholder: '<ISO time>', description: 'End of the range (exclusive).' },
  {
    name: 'target',
    kind: 'string',
    placeholder: '<url>',
    description: 'The runtime or Function app (default: the running `npm start` from DATA_DIR/runtime.json, else http://127.0.0.1:7071).',
  },
  {
    name: 'file',
    kind: 'string',
    placeholder: '<path>',
    description: 'Backfill a Dataset A file (.parquet, .jsonl/.ndjson or .json) instead.',
  },
  {
    name: 'batch',
    kind: 'integer',
    placeholder: '<n>',
    min: 1,
    max: 100_000,
    default: 2000,
    description: 'Events per request when backfilling a file.',
  },
  {
    name: 'poll',
    kind: 'number',
    placeholder: '<seconds>',
    min: 0.05,
    max: 60,
    default: 1,
    description: 'How often to look at the replay status.',
  },
  { name: 'json', kind: 'flag', description: 'Print the final report as JSON on stdout.' },
];

const HELP_TEXT = {
  usage:
    'npm run replay -- --from <ISO time> --to <ISO time> [--target <url>]\n       npm run replay -- --file <events.parquet|events.jsonl> [--target <url>]',
  summary: [
    'Replays the Event Hubs Capture files of [from, to) through ingest. Dedup makes it safe: a detection already',
    'counted is a duplicate. A range that reaches past the dedup horizon (now - DEDUP_TTL_SECONDS + REPLAY_GUARD_MINUTES)',
    'is refused, because the dedup store has forgotten those ids and would count them twice (see docs/recovery.md).',
    'With --file, sends the events of a Dataset A file to POST /api/events in batches instead.',
  ].join('\n'),
  options: REPLAY_OPTIONS,
  examples: [
    'npm run replay -- --from 2026-11-22T10:00:00Z --to 2026-11-22T11:00:00Z',
    'FUNCTIONS_KEY=<key> npm run replay -- --from 2026-11-22T10:00Z --to 2026-11-22T11:00Z --target https://<app>.azurewebsites.net',
    'npm run replay -- --file data/events.parquet',
  ],
  notes: [
    'For a Function app, set FUNCTIONS_KEY to a function key (sent as x-functions-key); the status URL carries its own key.',
    'Exit codes: 0 done, 1 failed (unreachable, the replay failed or stopped), 2 bad options or refused (past the horizon),',
    '            3 done but some blobs (or events of a file) could not be replayed: they are listed.',
  ],
};

export type ReplaySettings =
  | {
      readonly mode: 'range';
      readonly from: string;
      readonly to: string;
      readonly target: URL;
      readonly pollMs: number;
      readonly json: boolean;
    }
  | { readonly mode: 'file'; readonly file: string; readonly target: URL; readonly batch: number; readonly json: boolean };

/** Reads the options; null when help was asked; a UsageError names what is wrong. */
export function parseReplayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReplaySettings | null {
  const options = parseOptions(argv, REPLAY_OPTIONS);
  if (options.help) return null;
  const target = parseTarget(options.optionalString('target') ?? defaultTarget(env));
  const file = options.optionalString('file');
  const from = options.optionalString('from');
  const to = options.optionalString('to');
  const json = options.flag('json');
  if (file !== undefined) {
    if (from !== undefined || to !== undefined) throw new UsageError('--file backfills a whole file: leave out --from and --to');
    if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
    if (!/\.(parquet|jsonl|ndjson|json)$/i.test(file))
      throw new UsageError(`--file must end in .parquet, .jsonl, .ndjson or .json, got ${file}`);
    return { mode: 'file', file, target, batch: options.number('batch'), json };
  }
  if (from === undefined || to === undefined) throw new UsageError('give --from and --to (ISO times), or --file; see --help');
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (Number.isNaN(Date.parse(/[zZ]|[+-]\d{2}:\d{2}$/.test(value) || value.length === 10 ? value : `${value}Z`))) {
      throw new UsageError(`--${name} must be an ISO 8601 time such as 2026-11-22T10:00:00Z, got "${value}"`);
    }
  }
  return { mode: 'range', from, to, target, pollMs: options.number('poll') * 1000, json };
}

function defaultTarget(env: Readonly<Record<string, string | undefined>>): string {
  const info = join(env['DATA_DIR'] || '.data', 'runtime.json');
  try {
    const url = (JSON.parse(readFileSync(info, 'utf8')) as { url?: unknown }).url;
    if (typeof url === 'string' && url !== '') return url;
  } catch {
    // No runtime started from here: fall back to the default address.
  }
  return `http://127.0.0.1:${env['PORT'] || '7071'}`;
}

function parseTarget(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target must be a URL like http://127.0.0.1:7071, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be an http(s) URL, got "${text}"`);
  return url;
}

/** A failure that ends the run with exit code `exitCode` and `message` on stderr. */
export class ReplayToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ReplayToolError';
  }
}

export interface ToolIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly sleep: (ms: number) => Promise<void>;
}

const defaultIo = (): ToolIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

function targetOf(base: URL, io: ToolIo): HttpTarget {
  return new HttpTarget(base, { functionsKey: io.env['FUNCTIONS_KEY'], sleep: io.sleep });
}

/** The target's answer; one that cannot be reached ends the run (exit code 1). */
async function call<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof TargetUnreachable) throw new ReplayToolError(error.message, 1);
    throw error;
  }
}

function errorOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON: show the text.
  }
  return text.slice(0, 500);
}

/** The parts of a Durable Functions (or local) instance status that the tool reads. */
interface InstanceStatus {
  runtimeStatus?: string;
  customStatus?: { blobsTotal?: number; blobsDone?: number; totals?: ReplayTotals; eventsPerSecond?: number } | null;
  output?: unknown;
}

const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export interface RangeOutcome {
  readonly exitCode: number;
  readonly report: ReplayReport | null;
}

/** Starts a replay of [from, to) and follows it to the end; throws ReplayToolError when refused or unreachable. */
export async function runRangeReplay(
  settings: Extract<ReplaySettings, { mode: 'range' }>,
  io: ToolIo = defaultIo(),
): Promise<RangeOutcome> {
  const target = targetOf(settings.target, io);
  try {
    return await followReplay(settings, target, io);
  } finally {
    target.close();
  }
}

async function followReplay(settings: Extract<ReplaySettings, { mode: 'range' }>, target: HttpTarget, io: ToolIo): Promise<RangeOutcome> {
  const startUrl = new URL('/api/replay', settings.target);
  // Not retried: a start that went through but whose answer was lost would start a second replay.
  const started = await call(target.request('POST', startUrl.pathname, JSON.stringify({ from: settings.from, to: settings.to })));
  if (started.status === 409 || started.status === 400) throw new ReplayToolError(errorOf(started.body), 2);
  if (started.status === 404)
    throw new ReplayToolError(`${startUrl.href} answered 404: this target has no replay route (is capture installed?)`, 1);
  if (started.status !== 202)
    throw new ReplayToolError(`POST ${startUrl.pathname} answered ${started.status}: ${errorOf(started.body)}`, 1);
  const startBody = JSON.parse(started.body) as { id?: string; statusQueryGetUri?: string };
  const statusUri = startBody.statusQueryGetUri ?? started.location;
  if (!statusUri) throw new ReplayToolError('the replay started but its answer has no status URL', 1);
  io.stderr.write(`replay ${startBody.id ?? ''} started for [${settings.from}, ${settings.to}); status: ${statusUri}\n`);

  const began = Date.now();
  let progress: Progress | undefined;
  let status: InstanceStatus = {};
  for (;;) {
    const answer = await call(target.request('GET', statusUri));
    if (answer.status >= 400 && answer.status !== 500)
      throw new ReplayToolError(`the status URL answered ${answer.status}: ${errorOf(answer.body)}`, 1);
    status = JSON.parse(answer.body) as InstanceStatus;
    progress = showProgress(progress, status.customStatus, io);
    if (status.runtimeStatus && FINISHED.has(status.runtimeStatus)) break;
    await io.sleep(settings.pollMs);
  }
  progress?.stop();

  const report = isReport(status.output) ? status.output : null;
  if (status.runtimeStatus !== 'Completed' || !report) {
    const why = report
      ? `it was ${status.runtimeStatus?.toLowerCase() ?? 'stopped'} before the end`
      : errorOf(JSON.stringify(status.output ?? 'no output'));
    if (report) printReport(report, settings, Date.now() - began, io);
    throw new ReplayToolError(`replay ${status.runtimeStatus?.toLowerCase() ?? 'ended'}: ${why}`, 1);
  }
  printReport(report, settings, Date.now() - began, io);
  return { exitCode: report.totals.failed > 0 ? 3 : 0, report };
}

/** The bar follows the custom status: blobs done of all, events read and their rate, and the outcome so far. */
function showProgress(progress: Progress | undefined, custom: InstanceStatus['customStatus'], io: ToolIo): Progress | undefined {
  if (!custom || typeof custom.blobsTotal !== 'number') return progress;
  const bar =
    progress ??
    startProgress({
      total: custom.blobsTotal,
      unit: 'blobs',
      fields: ['events', 'rate', 'replayed', 'duplicates', 'failed'],
      stream: io.stderr,
    });
  bar.update(custom.blobsDone ?? 0, {
    events: formatCount(custom.totals?.events ?? 0),
    rate: `${formatCount(custom.eventsPerSecond ?? 0)}/s`,
    replayed: formatCount(custom.totals?.replayed ?? 0),
    duplicates: formatCount(custom.totals?.duplicates ?? 0),
    failed: formatCount(custom.totals?.failed ?? 0),
  });
  return bar;
}

function isReport(value: unknown): value is ReplayReport {
  return typeof value === 'object' && value !== null && 'totals' in value && Array.isArray((value as { blobs?: unknown }).blobs);
}

function printReport(report: ReplayReport, settings: { json: boolean }, elapsedMs: number, io: ToolIo): void {
  if (settings.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const { totals } = report;
  const rows: [string, string][] = [
    ['range', `[${report.from}, ${report.to})`],
    ['blobs', `${formatCount(totals.blobs)} (${formatCount(totals.failed)} failed)`],
    ['events', formatCount(totals.events)],
    ['replayed (new)', formatCount(totals.replayed)],
    ['duplicates', formatCount(totals.duplicates)],
    ['invalid', formatCount(totals.invalid)],
    ['time', formatSeconds(elapsedMs)],
    ['rate', `${formatCount(elapsedMs > 0 ? Math.round((totals.events * 1000) / elapsedMs) : 0)} events/s`],
  ];
  io.stdout.write(`\n${table(rows)}\n`);
  const failed = report.blobs.filter((blob: BlobReplayResult) => blob.status === 'failed');
  if (failed.length > 0) {
    io.stdout.write(`\nNot replayed:\n${failed.map((blob) => `  ${blob.blob}: ${blob.reason ?? 'failed'}`).join('\n')}\n`);
  }
}

function table(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Backfill from a Dataset A file

export interface BackfillSummary {
  readonly file: string;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly reasons: readonly string[];
}

/** Byte budget of one request: under the Function app's default MAX_BODY_BYTES (1 MiB). */
const MAX_REQUEST_BYTES = 900 * 1024;

/** Sends every event of the file to POST /api/events in batches, with progress; retries what the target asks to retry. */
export async function runBackfill(settings: Extract<ReplaySettings, { mode: 'file' }>, io: ToolIo = defaultIo()): Promise<BackfillSummary> {
  const target = targetOf(settings.target, io);
  try {
    return await sendFile(settings, target, io);
  } finally {
    target.close();
  }
}

async function sendFile(settings: Extract<ReplaySettings, { mode: 'file' }>, target: HttpTarget, io: ToolIo): Promise<BackfillSummary> {
  const { total, lines } = await openEventLines(settings.file);
  const progress = startProgress({ total, unit: 'events', fields: ['accepted', 'rejected'], stream: io.stderr });
  const summary = { file: settings.file, sent: 0, accepted: 0, rejected: 0, reasons: [] as string[] };
  let batch: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const outcome = await postEvents(target, `${batch.join('\n')}\n`);
    summary.sent += batch.length;
    summary.accepted += outcome.accepted;
    summary.rejected += outcome.rejected;
    for (const error of outcome.errors)
      if (summary.reasons.length < 10) summary.reasons.push(`event ${summary.sent - batch.length + error.index}: ${error.reason}`);
    batch = [];
    bytes = 0;
    progress.update(summary.sent, { accepted: formatCount(summary.accepted), rejected: formatCount(summary.rejected) });
  };
  try {
    for await (const line of lines) {
      const size = Buffer.byteLength(line) + 1;
      if (batch.length >= settings.batch || (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES)) await flush();
      batch.push(line);
      bytes += size;
    }
    await flush();
  } finally {
    progress.stop();
  }
  if (settings.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    io.stdout.write(
      `\n${table([
        ['file', summary.file],
        ['sent', formatCount(summary.sent)],
        ['accepted', formatCount(summary.accepted)],
        ['rejected', formatCount(summary.rejected)],
      ])}\n`,
    );
    if (summary.reasons.length > 0) io.stdout.write(`\nFirst rejections:\n${summary.reasons.map((reason) => `  ${reason}`).join('\n')}\n`);
  }
  return summary;
}

async function postEvents(
  target: HttpTarget,
  body: string,
): Promise<{ accepted: number; rejected: number; errors: { index: number; reason: string }[] }> {
  // A retried batch may have been stored already; dedup makes the second copy harmless.
  const answer = await call(target.post('/api/events', body, { contentType: 'application/x-ndjson' }));
  if (answer.status !== 202) throw new ReplayToolError(`POST /api/events answered ${answer.status}: ${errorOf(answer.body)}`, 1);
  return JSON.parse(answer.body) as { accepted: number; rejected: number; errors: { index: number; reason: string }[] };
}

/** The file's events as JSON texts, one per event, with 64-bit ids kept digit for digit. */
async function openEventLines(file: string): Promise<{ total: number; lines: AsyncIterable<string> | Iterable<string> }> {
  if (/\.parquet$/i.test(file)) return parquetLines(file);
  if (/\.json$/i.test(file)) {
    const { parse, stringify } = await import('lossless-json');
    const parsed = parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed)) throw new ReplayToolError(`${file}: a .json file must hold an array of events`, 2);
    return { total: parsed.length, lines: parsed.map((event) => stringify(event) ?? 'null') };
  }
  return { total: await countLines(file), lines: jsonLines(file) };
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const _line of jsonLines(file)) count += 1;
  return count;
}

/** Non-blank lines of a JSON Lines file, passed on as they are: nothing is parsed, so no id can lose digits. */
async function* jsonLines(file: string): AsyncIterable<string> {
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of reader) if (line.trim() !== '') yield line;
}

const PARQUET_ROWS_PER_READ = 10_000;

async function parquetLines(file: string): Promise<{ total: number; lines: AsyncIterable<string> }> {
  const { parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  const buffer = readFileSync(file);
  const asyncBuffer = {
    byteLength: statSync(file).size,
    slice: (start: number, end?: number) => buffer.buffer.slice(buffer.byteOffset + start, buffer.byteOffset + (end ?? buffer.byteLength)),
  };
  const metadata = await parquetMetadataAsync(asyncBuffer);
  const total = Number(metadata.num_rows);
  async function* lines(): AsyncIterable<string> {
    for (let rowStart = 0; rowStart < total; rowStart += PARQUET_ROWS_PER_READ) {
      const rows = await parquetReadObjects({
        file: asyncBuffer,
        metadata,
        rowStart,
        rowEnd: Math.min(total, rowStart + PARQUET_ROWS_PER_READ),
      });
      for (const row of rows) yield flatJson(row);
    }
  }
  return { total, lines: lines() };
}

/** One Parquet row as JSON: INT64 columns (bigint) as exact JSON numbers, timestamps as epoch milliseconds. */
export function flatJson(row: Record<string, unknown>): string {
  const fields = Object.entries(row).map(([key, value]) => `${JSON.stringify(key)}:${jsonValue(value)}`);
  return `{${fields.join(',')}}`;
}

function jsonValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return String(value.getTime());
  if (value === undefined) return 'null';
  return JSON.stringify(value, (_key, nested: unknown) => (typeof nested === 'bigint' ? nested.toString() : nested)) ?? 'null';
}

// ---------------------------------------------------------------------------------------------------

export async function main(argv: readonly string[], io: ToolIo = defaultIo()): Promise<number> {
  let settings: ReplaySettings | null;
  try {
    settings = parseReplayArgs(argv, io.env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n(npm run replay -- --help shows the options)\n`);
      return 2;
    }
    throw error;
  }
  if (!settings) {
    io.stdout.write(formatHelp(HELP_TEXT));
    return 0;
  }
  try {
    if (settings.mode === 'file') {
      const summary = await runBackfill(settings, io);
      return summary.rejected > 0 ? 3 : 0;
    }
    return (await runRangeReplay(settings, io)).exitCode;
  } catch (error) {
    if (error instanceof ReplayToolError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`replay failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.on('SIGINT', () => process.exit(130));
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
