/** `npm run capacity`: options, price overrides, `--measured`, and the entry point. */
import { readFileSync } from 'node:fs';
import { formatHelp, type OptionSpec, parseOptions, UsageError } from '../lib/cli';
import { type CapacityInputs, DEFAULT_INPUTS, DEFAULT_PRICES, DEFAULT_RU_ASSUMPTIONS, type Prices } from './inputs';
import { readMeasured } from './measured';
import { computeCapacity } from './model';
import { formatReport, kqlModelRows } from './report';

const PRICE_NAMES = Object.keys(DEFAULT_PRICES).filter((name) => typeof DEFAULT_PRICES[name as keyof Prices] === 'number');

type Numeric = Omit<OptionSpec, 'kind'> & { kind: 'number' | 'integer' | 'fraction' };
const option = (
  name: string,
  kind: Numeric['kind'],
  placeholder: string,
  value: number | undefined,
  description: string,
  bounds: { min?: number; max?: number } = {},
): OptionSpec => ({
  name,
  kind,
  placeholder,
  ...(value === undefined ? {} : { default: value }),
  description,
  ...bounds,
});
const flag = (name: string, description: string): OptionSpec => ({ name, kind: 'flag', description });
const D = DEFAULT_INPUTS;

export const CAPACITY_OPTIONS: readonly OptionSpec[] = [
  option('events-per-second', 'number', '<n>', D.eventsPerSecond, 'Detections received per second.', { min: 1 }),
  option('duplicate-rate', 'fraction', '<0..1>', D.duplicateRate, 'Share of valid events that repeat an earlier detection.'),
  option('invalid-rate', 'fraction', '<0..1>', D.invalidRate, 'Share of events that are invalid.'),
  option('late-rate', 'fraction', '<0..1>', D.lateRate, 'Share of detections stamped in an earlier hour.'),
  option('ttl-hours', 'number', '<h>', D.ttlHours, 'Dedup horizon (DEDUP_TTL_SECONDS, TTL of the dedup container).', { min: 1 }),
  option(
    'tallies-ttl-hours',
    'number',
    '<h>',
    D.talliesTtlHours,
    'TTL of the tallies container: how long aggregate may stall without losing counts.',
    { min: 0.1 },
  ),
  option('locations', 'integer', '<n>', D.locations, 'Locations sending detections.', { min: 1 }),
  option('cameras-per-location', 'integer', '<n>', D.camerasPerLocation, 'Cameras per location.', { min: 1 }),
  option('items', 'integer', '<n>', D.items, 'Distinct item names per location.', { min: 1 }),
  option('skew', 'number', '<s>', D.skew, 'Zipf exponent of location and item popularity (0 = uniform).', { min: 0, max: 10 }),
  option('batch-size', 'integer', '<n>', D.postBatchSize, 'Detections per POST /api/events.', { min: 1 }),
  option(
    'cameras-per-post',
    'number',
    '<n>',
    D.camerasPerPost,
    'Cameras whose detections one POST carries (each camera is packed into its own Event Hubs events).',
    { min: 1 },
  ),
  option('event-bytes', 'integer', '<B>', D.eventBytes, 'JSON bytes of one detection.', { min: 50 }),
  option('ingest-batch', 'integer', '<n>', D.ingestBatchSize, 'Event Hubs trigger maxEventBatchSize (host.json).', { min: 1 }),
  option('partitions', 'integer', '<n>', undefined, 'Event hub partitions (computed when omitted).', { min: 1, max: 1024 }),
  option('dedup-partitions', 'integer', '<n>', D.dedupPartitions, 'DEDUP_PARTITIONS: logical partitions of the dedup container.', {
    min: 1,
    max: 10_000,
  }),
  option('top', 'integer', '<n>', D.materializedTop, 'MATERIALIZED_TOP: rows kept per counter.', { min: 1, max: 100 }),
  flag('no-flat-rows', 'No flat Power BI row documents.'),
  option('rows-refresh-seconds', 'number', '<s>', D.rowsRefreshSeconds, 'ROWS_REFRESH_SECONDS: cadence of the rows writes.', { min: 1 }),
  option(
    'hourly-retention-days',
    'integer',
    '<d>',
    D.hourlyRetentionDays,
    'HOURLY_RETENTION_DAYS: how long hourly counters and their rows are kept.',
    { min: 1 },
  ),
  option('feed-batch', 'integer', '<n>', D.feedBatchSize, 'maxItemsPerInvocation of both Cosmos DB triggers (tally, aggregate).', {
    min: 1,
  }),
  option(
    'feed-cycle-seconds',
    'number',
    '<s>',
    D.feedCycleSeconds,
    'Tally cycle: a tally batch smaller than --feed-batch returns no earlier than this after it started.',
    { min: 0.01 },
  ),
  option(
    'aggregate-cycle-seconds',
    'number',
    '<s>',
    D.aggregateCycleSeconds,
    'Aggregate cycle: an aggregate batch smaller than --feed-batch returns no earlier than this after it started.',
    { min: 0.01 },
  ),
  option('instance-memory-mb', 'integer', '<MB>', D.instanceMemoryMb, 'Flex Consumption instance memory (2048 or 4096).', { min: 512 }),
  option(
    'http-events-per-instance',
    'number',
    '<n>',
    D.httpEventsPerInstance,
    'Detections/s one instance accepts over HTTP (assumption).',
    { min: 1 },
  ),
  option('ingest-events-per-instance', 'number', '<n>', D.ingestEventsPerInstance, 'Detections/s one instance ingests (assumption).', {
    min: 1,
  }),
  option('headroom', 'number', '<x>', D.headroom, 'Autoscale max RU/s over the steady need.', { min: 1 }),
  option(
    'conflict-ru',
    'number',
    '<RU>',
    DEFAULT_RU_ASSUMPTIONS.conflictRu,
    'RU of a create refused with 409 (no public source; measure it).',
    { min: 0 },
  ),
  flag(
    'count-ttl-deletes',
    'Count TTL deletes in the RU/s needed (by default they are shown apart: Cosmos DB runs them in left-over RU/s).',
  ),
  option('capture-retention-days', 'integer', '<d>', D.captureRetentionDays, 'Days capture files are kept.', { min: 1 }),
  option('query-rps', 'number', '<n>', D.queryRps, 'All-locations top-items queries per second.', { min: 0 }),
  {
    name: 'region-prices',
    kind: 'string',
    placeholder: '<file.json|name=value,...>',
    description: `Override unit prices: a JSON file, or name=value pairs (${PRICE_NAMES.join(', ')}, region, currency, asOf).`,
  },
  {
    name: 'measured',
    kind: 'string',
    placeholder: '<file.json>',
    description: 'Re-run with the per-operation RU measured in a deployment: the JSON export of infra/monitoring/ru-by-operation.kql.',
  },
  flag('kql', "Print the model's RU per stored detection per operation as rows of the KQL query's datatable."),
  flag('json', 'Print the result as JSON.'),
];

export const CAPACITY_HELP = {
  usage: 'npm run capacity -- [options]',
  summary:
    'Estimates the Azure deployment at a given event rate: Event Hubs throughput units and partitions, Function instances, Cosmos DB RU/s per container and per operation, storage, a monthly cost, and the Bicep parameters that follow from them. Each figure names its basis; see docs/capacity.md.',
  options: CAPACITY_OPTIONS,
  examples: [
    'npm run capacity -- --events-per-second 10000 --duplicate-rate 0.05 --ttl-hours 24',
    'npm run capacity -- --measured ru-by-operation.json',
    'npm run capacity -- --events-per-second 1000 --region-prices cosmosAutoscalePer100RuHour=0.015,region="West Europe"',
  ],
  notes: ['Prices default to East US pay-as-you-go list prices as recalled for 2025: they are assumptions, check them before use.'],
};

/** Reads price overrides: a JSON object file, or comma-separated name=value pairs. */
export function parsePriceOverrides(
  text: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Partial<Prices> {
  const known = new Set(Object.keys(DEFAULT_PRICES));
  const pairs: [string, unknown][] = text.includes('=')
    ? text.split(',').map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new UsageError(`--region-prices: "${pair}" is not name=value`);
        return [
          pair.slice(0, at).trim(),
          pair
            .slice(at + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        ];
      })
    : Object.entries(parseJsonObject(readFile(text), text));
  const overrides: Record<string, string | number> = {};
  for (const [name, raw] of pairs) {
    if (!known.has(name)) throw new UsageError(`--region-prices: unknown price "${name}"; known: ${[...known].join(', ')}`);
    if (typeof DEFAULT_PRICES[name as keyof Prices] === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0)
        throw new UsageError(`--region-prices: ${name} must be a number >= 0, got "${String(raw)}"`);
      overrides[name] = value;
    } else {
      overrides[name] = String(raw);
    }
  }
  return overrides;
}

function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--region-prices: ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--region-prices: ${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

export interface ParsedArgs {
  readonly inputs: CapacityInputs;
  readonly json: boolean;
  readonly kql: boolean;
  readonly help: boolean;
  readonly ignored: readonly string[];
}

export function inputsFromArgs(argv: readonly string[], readFile?: (path: string) => string): ParsedArgs {
  const options = parseOptions(argv, CAPACITY_OPTIONS);
  const prices = options.optionalString('region-prices');
  const measuredPath = options.optionalString('measured');
  const measured = measuredPath === undefined ? undefined : readMeasured(measuredPath, readFile);
  const inputs: CapacityInputs = {
    ...DEFAULT_INPUTS,
    eventsPerSecond: options.number('events-per-second'),
    duplicateRate: options.number('duplicate-rate'),
    invalidRate: options.number('invalid-rate'),
    lateRate: options.number('late-rate'),
    ttlHours: options.number('ttl-hours'),
    talliesTtlHours: options.number('tallies-ttl-hours'),
    locations: options.number('locations'),
    camerasPerLocation: options.number('cameras-per-location'),
    items: options.number('items'),
    skew: options.number('skew'),
    postBatchSize: options.number('batch-size'),
    camerasPerPost: options.number('cameras-per-post'),
    eventBytes: options.number('event-bytes'),
    ingestBatchSize: options.number('ingest-batch'),
    partitions: options.optionalNumber('partitions'),
    dedupPartitions: options.number('dedup-partitions'),
    materializedTop: options.number('top'),
    flatRows: !options.flag('no-flat-rows'),
    rowsRefreshSeconds: options.number('rows-refresh-seconds'),
    hourlyRetentionDays: options.number('hourly-retention-days'),
    feedBatchSize: options.number('feed-batch'),
    feedCycleSeconds: options.number('feed-cycle-seconds'),
    aggregateCycleSeconds: options.number('aggregate-cycle-seconds'),
    instanceMemoryMb: options.number('instance-memory-mb'),
    httpEventsPerInstance: options.number('http-events-per-instance'),
    ingestEventsPerInstance: options.number('ingest-events-per-instance'),
    headroom: options.number('headroom'),
    captureRetentionDays: options.number('capture-retention-days'),
    queryRps: options.number('query-rps'),
    ru: { ...DEFAULT_RU_ASSUMPTIONS, conflictRu: options.number('conflict-ru'), provisionTtlDeletes: options.flag('count-ttl-deletes') },
    prices: { ...DEFAULT_PRICES, ...(prices === undefined ? {} : parsePriceOverrides(prices)) },
    ...(measured ? { measured: measured.charges } : {}),
  };
  if (inputs.duplicateRate + inputs.invalidRate > 1) throw new UsageError('--duplicate-rate plus --invalid-rate must not exceed 1');
  return { inputs, json: options.flag('json'), kql: options.flag('kql'), help: options.help, ignored: measured?.ignored ?? [] };
}

export function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): number {
  try {
    const { inputs, json, kql, help, ignored } = inputsFromArgs(argv);
    if (help) {
      out(formatHelp(CAPACITY_HELP));
      return 0;
    }
    const result = computeCapacity(inputs);
    if (kql) out(`${kqlModelRows(result)}\n`);
    else out(json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result, ignored));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
