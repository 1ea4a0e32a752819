/**
 * The camera simulator: generates detections (duplicates, late and invalid ones included) at a steady
 * rate and sends them to the local runtime's POST /api/events, or to a real Event Hub.
 */
import { DetectionGenerator, type GeneratedEvent, type TruthTotals } from './lib/generator';
import { HttpTarget, RETRYABLE_STATUS, TargetUnreachable } from './lib/http';
import { formatCount, formatHelp, formatSeconds, type OptionSpec, parseOptions, startProgress, UsageError } from './lib/cli';
import { packRows } from '../shared/domain/packing';

export const DEFAULT_TARGET = 'http://127.0.0.1:7071';

export const SIMULATE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'rate',
    kind: 'number',
    placeholder: '<events/s>',
    min: 0.1,
    max: 1_000_000,
    default: 1000,
    description: 'Events per second to send.',
  },
  {
    name: 'duration',
    kind: 'number',
    placeholder: '<seconds>',
    min: 0.1,
    max: 86_400,
    default: 60,
    description: 'How long to send; rate x duration events in all.',
  },
  {
    name: 'duplicates',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.05,
    description: 'Share of events that re-send an earlier detection.',
  },
  {
    name: 'conflicts',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.2,
    description: 'Share of those re-sent copies with a different location or item.',
  },
  {
    name: 'late',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.01,
    description: 'Share of detections stamped 1 to 6 hours in the past.',
  },
  {
    name: 'invalid',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.001,
    description: 'Share of invalid events (missing field, fractional id, empty item name, ...).',
  },
  {
    name: 'unknown',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0,
    description: 'Share of detections from locations missing from Dataset B.',
  },
  {
    name: 'large-ids',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.1,
    description: 'Share of detection oids above 2^53 (sent as strings).',
  },
  {
    name: 'locations',
    kind: 'integer',
    placeholder: '<n>',
    min: 1,
    max: 1_000_000,
    default: 50,
    description: 'Locations, with oids 1..n.',
  },
  { name: 'items', kind: 'integer', placeholder: '<n>', min: 1, max: 100_000, default: 40, description: 'Distinct item names.' },
  { name: 'cameras', kind: 'integer', placeholder: '<n>', min: 1, max: 1000, default: 4, description: 'Cameras per location.' },
  {
    name: 'skew',
    kind: 'number',
    placeholder: '<s>',
    min: 0,
    max: 10,
    default: 1,
    description: 'Zipf exponent of location and item popularity (0 = uniform).',
  },
  {
    name: 'seed',
    kind: 'integer',
    placeholder: '<n>',
    min: 0,
    max: 4_294_967_295,
    description: 'Seed for repeatable events (default: random). Reusing a seed re-sends the same detection oids.',
  },
  {
    name: 'batch',
    kind: 'integer',
    placeholder: '<n>',
    min: 1,
    max: 100_000,
    default: 500,
    description: 'Most events per request (or per Event Hubs send).',
  },
  { name: 'concurrency', kind: 'integer', placeholder: '<n>', min: 1, max: 64, default: 4, description: 'Requests in flight at once.' },
  {
    name: 'target',
    kind: 'string',
    placeholder: '<url>|eventhubs',
    default: DEFAULT_TARGET,
    description: 'Where to send: a runtime or Function app URL, or "eventhubs".',
  },
  { name: 'json', kind: 'flag', description: 'Print the summary as JSON on stdout (progress still goes to stderr).' },
];

const HELP_TEXT = {
  usage: 'npm run simulate -- [options]',
  summary: [
    'Simulates town cameras: sends rate x duration detections, paced to the rate, and prints what was sent,',
    'accepted and rejected, plus the number of distinct valid detections the counters should reach.',
  ].join('\n'),
  options: SIMULATE_OPTIONS,
  examples: [
    'npm run simulate -- --rate 10000 --duration 60 --duplicates 0.05 --late 0.01 --invalid 0.001 --locations 50 --items 40',
    'npm run simulate -- --rate 50 --duration 600            # a gentle stream to watch on the dashboard',
    'EVENTHUB_NAMESPACE=myns.servicebus.windows.net EVENTHUB_NAME=detections npm run simulate -- --target eventhubs',
  ],
  notes: [
    'Targets:',
    `  <url>       POST JSON arrays to <url>/api/events with keep-alive (default ${DEFAULT_TARGET}, the local runtime of \`npm start\`).`,
    '              For a Function app, set FUNCTIONS_KEY to send it as the x-functions-key header.',
    "  eventhubs   Send to Azure Event Hubs, a camera's detections packed into 64 KB events (JSON arrays), partition key = video camera oid.",
    '              Auth: EVENTHUB_NAMESPACE (e.g. myns.servicebus.windows.net) + EVENTHUB_NAME with DefaultAzureCredential',
    '              (az login, managed identity, ...), or EVENTHUB_CONNECTION_STRING (+ EVENTHUB_NAME unless it has EntityPath).',
    'Exit codes: 0 done, 1 failed (target unreachable, requests failing), 2 bad options, 130 interrupted.',
  ],
};

export interface SimulateSettings {
  readonly rate: number;
  readonly durationSeconds: number;
  readonly total: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly late: number;
  readonly invalid: number;
  readonly unknown: number;
  readonly largeIds: number;
  readonly locations: number;
  readonly items: number;
  readonly cameras: number;
  readonly skew: number;
  readonly seed: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly target: { kind: 'http'; url: URL } | { kind: 'eventhubs' };
  readonly json: boolean;
}

/** Reads the options, or throws a UsageError that names the bad one. Returns null when help was asked. */
export function parseSimulateArgs(
  argv: readonly string[],
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 32),
): SimulateSettings | null {
  const options = parseOptions(argv, SIMULATE_OPTIONS);
  if (options.help) return null;
  const duplicates = options.number('duplicates');
  const invalid = options.number('invalid');
  if (duplicates + invalid > 1) throw new UsageError('--duplicates and --invalid together must not exceed 1');
  const rate = options.number('rate');
  const durationSeconds = options.number('duration');
  const total = Math.round(rate * durationSeconds);
  if (total < 1) throw new UsageError('--rate x --duration must come to at least one event');
  return {
    rate,
    durationSeconds,
    total,
    duplicates,
    conflicts: options.number('conflicts'),
    late: options.number('late'),
    invalid,
    unknown: options.number('unknown'),
    largeIds: options.number('large-ids'),
    locations: options.number('locations'),
    items: options.number('items'),
    cameras: options.number('cameras'),
    skew: options.number('skew'),
    seed: options.optionalNumber('seed') ?? randomSeed(),
    batch: options.number('batch'),
    concurrency: options.number('concurrency'),
    target: parseTarget(options.string('target')),
    json: options.flag('json'),
  };
}

function parseTarget(text: string): SimulateSettings['target'] {
  if (text === 'eventhubs') return { kind: 'eventhubs' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--target must be a URL like ${DEFAULT_TARGET} or "eventhubs", got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--target must be an http(s) URL or "eventhubs", got "${text}"`);
  return { kind: 'http', url };
}

/** What one send achieved. */
export interface SendOutcome {
  readonly accepted: number;
  readonly rejected: number;
  /** A few rejection reasons, to show in the summary. */
  readonly reasons: readonly string[];
}

export interface Sink {
  readonly description: string;
  /** Fails fast with a helpful message when the target cannot be reached. */
  check(): Promise<void>;
  send(events: readonly GeneratedEvent[]): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** A failure that stops the run: the target is gone, or refuses what we send. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP target

export function httpSink(base: URL, options: { concurrency: number; functionsKey?: string | undefined }): Sink {
  const target = new HttpTarget(base, {
    functionsKey: options.functionsKey,
    maxSockets: options.concurrency,
    retryDelaysMs: [250, 1000, 3000],
  });
  const unreachable = (error: unknown) => new TargetError(error instanceof TargetUnreachable ? error.message : String(error));
  return {
    description: base.origin,
    async check() {
      const answer = await target.request('GET', '/api/health', undefined, { timeoutMs: 10_000 }).catch((error: unknown) => {
        throw unreachable(error);
      });
      if (answer.status === 404)
        throw new TargetError(`${new URL('/api/health', base).href} answered 404: is ${base.origin} the camera runtime or Function app?`);
    },
    async send(events) {
      // A retried request may already have been stored; dedup makes the second copy harmless.
      const answer = await target.post('/api/events', JSON.stringify(events.map((event) => event.body))).catch((error: unknown) => {
        throw unreachable(error);
      });
      if (answer.status === 202) return parseAccepted(answer.body, events.length);
      const verb = RETRYABLE_STATUS.has(answer.status) ? 'kept answering' : 'answered';
      throw new TargetError(`POST /api/events ${verb} ${answer.status}: ${answer.body.slice(0, 300)}`);
    },
    close() {
      target.close();
      return Promise.resolve();
    },
  };
}

function parseAccepted(text: string, sent: number): SendOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TargetError(`POST /api/events answered 202 with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const answer = parsed as { accepted?: unknown; rejected?: unknown; errors?: unknown };
  if (typeof answer.accepted !== 'number' || typeof answer.rejected !== 'number') {
    throw new TargetError(`POST /api/events answered 202 without accepted/rejected counts: ${text.slice(0, 200)}`);
  }
  const reasons = Array.isArray(answer.errors)
    ? answer.errors.slice(0, 3).map((error) => {
        const reason = (error as { reason?: unknown } | null)?.reason;
        return typeof reason === 'string' ? reason : JSON.stringify(error);
      })
    : [];
  if (answer.accepted + answer.rejected !== sent) reasons.push(`the target counted ${answer.accepted + answer.rejected} of ${sent} events`);
  return { accepted: answer.accepted, rejected: answer.rejected, reasons };
}

// ---------------------------------------------------------------------------------------------------
// Event Hubs target

/** The part of EventDataBatch we use. */
export interface BatchLike {
  tryAdd(event: { body: unknown }): boolean;
  readonly count: number;
}

/** The part of EventHubProducerClient we use, so the batching can be tested without Azure. */
export interface ProducerLike<Batch extends BatchLike> {
  createBatch(options: { partitionKey: string }): Promise<Batch>;
  createBatch(): Promise<Batch>;
  sendBatch(batch: Batch): Promise<void>;
  close(): Promise<void>;
}

/** No partition key: the row has no usable camera oid (an invalid event); Event Hubs spreads those. */
export const NO_PARTITION_KEY = '';

/**
 * Groups events by partition key (the video camera oid), keeping each camera's events in the order
 * generated: one camera's detections always go to one partition, in order.
 */
export function groupByPartitionKey(events: readonly GeneratedEvent[]): Map<string, unknown[]> {
  const groups = new Map<string, unknown[]>();
  for (const event of events) {
    const key = event.partitionKey ?? NO_PARTITION_KEY;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(event.body);
  }
  return groups;
}

/**
 * Packs each partition key's bodies into as few Event Hubs events as fit the 64 KB billing unit (a
 * JSON array each, as the Function app's publisher does), fills batches with them and sends each
 * when full; returns how many batches were sent.
 */
export async function sendByPartitionKey<Batch extends BatchLike>(
  producer: ProducerLike<Batch>,
  events: readonly GeneratedEvent[],
  concurrency: number,
): Promise<number> {
  const groups = [...groupByPartitionKey(events)];
  let batches = 0;
  const sendGroup = async ([key, bodies]: [string, unknown[]]) => {
    const newBatch = () => (key === NO_PARTITION_KEY ? producer.createBatch() : producer.createBatch({ partitionKey: key }));
    let batch = await newBatch();
    for (const packed of packRows(bodies.map((body) => JSON.stringify(body)))) {
      const body = Buffer.from(packed, 'utf8');
      if (batch.tryAdd({ body })) continue;
      if (batch.count === 0) throw new TargetError('an event is larger than an Event Hubs batch allows');
      await producer.sendBatch(batch);
      batches += 1;
      batch = await newBatch();
      if (!batch.tryAdd({ body })) throw new TargetError('an event is larger than an Event Hubs batch allows');
    }
    if (batch.count > 0) {
      await producer.sendBatch(batch);
      batches += 1;
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < groups.length) await sendGroup(groups[next++] as [string, unknown[]]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
  return batches;
}

export type EventHubsConnection =
  | { kind: 'identity'; namespace: string; eventHubName: string }
  | { kind: 'connectionString'; connectionString: string; eventHubName: string | undefined };

/** Reads the Event Hubs settings from the environment, or explains which ones are missing. */
export function eventHubsConnectionFrom(env: Readonly<Record<string, string | undefined>>): EventHubsConnection {
  const connectionString = env['EVENTHUB_CONNECTION_STRING'];
  const eventHubName = env['EVENTHUB_NAME'] || undefined;
  if (connectionString) {
    if (!eventHubName && !/;EntityPath=[^;]+/i.test(connectionString)) {
      throw new UsageError('EVENTHUB_CONNECTION_STRING has no EntityPath: set EVENTHUB_NAME to the event hub to send to');
    }
    return { kind: 'connectionString', connectionString, eventHubName };
  }
  const namespace = env['EVENTHUB_NAMESPACE'];
  if (!namespace || !eventHubName) {
    throw new UsageError(
      '--target eventhubs needs EVENTHUB_NAMESPACE (e.g. myns.servicebus.windows.net) and EVENTHUB_NAME, signed in with `az login` ' +
        'or a managed identity; or EVENTHUB_CONNECTION_STRING',
    );
  }
  return { kind: 'identity', namespace: namespace.includes('.') ? namespace : `${namespace}.servicebus.windows.net`, eventHubName };
}

async function eventHubsSink(connection: EventHubsConnection, concurrency: number): Promise<Sink> {
  const { EventHubProducerClient } = await import('@azure/event-hubs');
  let producer: InstanceType<typeof EventHubProducerClient>;
  if (connection.kind === 'connectionString') {
    producer = connection.eventHubName
      ? new EventHubProducerClient(connection.connectionString, connection.eventHubName)
      : new EventHubProducerClient(connection.connectionString);
  } else {
    const { DefaultAzureCredential } = await import('@azure/identity');
    producer = new EventHubProducerClient(connection.namespace, connection.eventHubName, new DefaultAzureCredential());
  }
  return {
    description: `Event Hubs ${producer.fullyQualifiedNamespace}/${producer.eventHubName}`,
    async check() {
      try {
        await producer.getEventHubProperties();
      } catch (error) {
        throw new TargetError(`cannot reach ${producer.fullyQualifiedNamespace}/${producer.eventHubName}: ${(error as Error).message}`);
      }
    },
    async send(events) {
      await sendByPartitionKey(producer, events, concurrency);
      // Event Hubs does not validate: invalid events are accepted here and dead-lettered by ingest.
      return { accepted: events.length, rejected: 0, reasons: [] };
    },
    close: () => producer.close(),
  };
}

// ---------------------------------------------------------------------------------------------------
// The run

export interface SimulationSummary {
  readonly target: string;
  readonly seed: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorMessages: readonly string[];
  readonly rejectionReasons: readonly string[];
  readonly elapsedMs: number;
  readonly achievedRate: number;
  readonly targetRate: number;
  readonly interrupted: boolean;
  /** What the generator knows the counters must reach for the events sent. */
  readonly truth: TruthTotals;
}

export interface RunHooks {
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: {
    generated: number;
    sent: number;
    accepted: number;
    rejected: number;
    errors: number;
    elapsedMs: number;
  }) => void;
}

/** Give up after this many batches fail in a row: the target is gone, there is no point going on. */
const MAX_CONSECUTIVE_FAILURES = 3;

export async function runSimulation(settings: SimulateSettings, sink: Sink, hooks: RunHooks = {}): Promise<SimulationSummary> {
  const now = hooks.now ?? Date.now;
  const generator = new DetectionGenerator({
    seed: settings.seed,
    now,
    locations: settings.locations,
    items: settings.items,
    skew: settings.skew,
    duplicates: settings.duplicates,
    conflicts: settings.conflicts,
    late: settings.late,
    invalid: settings.invalid,
    unknownLocations: settings.unknown,
    largeIds: settings.largeIds,
    camerasPerLocation: settings.cameras,
  });
  const started = now();
  // Small ticks keep the pace smooth; a tick carries about one batch at the target rate.
  const tickMs = Math.min(200, Math.max(20, (settings.batch / settings.rate) * 1000));
  const inFlight = new Set<Promise<void>>();
  const errorMessages: string[] = [];
  const rejectionReasons = new Set<string>();
  let generated = 0;
  let sent = 0;
  let accepted = 0;
  let rejected = 0;
  let requests = 0;
  let errors = 0;
  let consecutiveFailures = 0;
  let fatal: Error | undefined;

  const report = () => hooks.onProgress?.({ generated, sent, accepted, rejected, errors, elapsedMs: now() - started });
  const dispatch = (events: GeneratedEvent[]) => {
    const sending = sink
      .send(events)
      .then((outcome) => {
        consecutiveFailures = 0;
        sent += events.length;
        accepted += outcome.accepted;
        rejected += outcome.rejected;
        for (const reason of outcome.reasons) if (rejectionReasons.size < 5) rejectionReasons.add(reason);
      })
      .catch((error: unknown) => {
        errors += 1;
        consecutiveFailures += 1;
        if (errorMessages.length < 5) errorMessages.push((error as Error).message);
        if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) fatal ??= error as Error;
      })
      .finally(() => {
        requests += 1;
        inFlight.delete(sending);
        report();
      });
    inFlight.add(sending);
  };

  while (generated < settings.total && !fatal && !hooks.signal?.aborted) {
    const due = Math.min(settings.total, Math.floor((settings.rate * (now() - started)) / 1000));
    while (generated < due && !fatal && !hooks.signal?.aborted) {
      if (inFlight.size >= settings.concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const size = Math.min(settings.batch, due - generated);
      dispatch(generator.batch(size));
      generated += size;
    }
    report();
    if (generated < settings.total) await sleep(tickMs, hooks.signal);
  }
  await Promise.all(inFlight);
  if (fatal) throw fatal;
  const elapsedMs = Math.max(1, now() - started);
  const truth = generator.truth.totals;
  return {
    target: sink.description,
    seed: settings.seed,
    sent,
    accepted,
    rejected,
    requests,
    errors,
    errorMessages,
    rejectionReasons: [...rejectionReasons],
    elapsedMs,
    achievedRate: (sent * 1000) / elapsedMs,
    targetRate: settings.rate,
    interrupted: hooks.signal?.aborted === true,
    // Only what was generated was sent, so the truth matches the events that reached the target (barring errors).
    truth: { ...truth },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function formatSummary(summary: SimulationSummary): string {
  const { truth } = summary;
  const lines = [
    `${summary.interrupted ? 'Interrupted after' : 'Sent'} ${formatCount(summary.sent)} events to ${summary.target} in ${formatSeconds(summary.elapsedMs)} ` +
      `(${formatCount(summary.achievedRate)} events/s; asked for ${formatCount(summary.targetRate)}/s; seed ${summary.seed})`,
    `  accepted  ${formatCount(summary.accepted)}`,
    `  rejected  ${formatCount(summary.rejected)}`,
    `  errors    ${formatCount(summary.errors)} failed request(s) of ${formatCount(summary.requests)}`,
    ...summary.errorMessages.map((message) => `            ${message}`),
    ...summary.rejectionReasons.map((reason) => `  e.g. rejected: ${reason}`),
    `Generated: ${formatCount(truth.distinct)} distinct detections, ${formatCount(truth.duplicates)} re-sent copies ` +
      `(${formatCount(truth.conflicts)} conflicting), ${formatCount(truth.invalid)} invalid, ${formatCount(truth.late)} late, ` +
      `${formatCount(truth.unknownLocation)} from unknown locations.`,
  ];
  if (summary.errors === 0) {
    lines.push(`The counters should grow by ${formatCount(truth.distinct)} (GET /api/health: counters.stored, or the dashboard).`);
  }
  return `${lines.join('\n')}\n`;
}

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let settings: SimulateSettings | null;
  let sink: Sink;
  try {
    settings = parseSimulateArgs(argv);
    if (settings === null) {
      io.stdout.write(formatHelp(HELP_TEXT));
      return 0;
    }
    sink =
      settings.target.kind === 'http'
        ? httpSink(settings.target.url, { concurrency: settings.concurrency, functionsKey: io.env['FUNCTIONS_KEY'] })
        : await eventHubsSink(eventHubsConnectionFrom(io.env), settings.concurrency);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`simulate: ${error.message}\nRun \`npm run simulate -- --help\` for the options.\n`);
    return 2;
  }

  const run = settings;
  try {
    await sink.check();
    io.stderr.write(
      `Sending ${formatCount(run.total)} events to ${sink.description} at ${formatCount(run.rate)}/s (seed ${run.seed}, Ctrl-C stops early)\n`,
    );
    const progress = startProgress({
      total: run.total,
      unit: 'events',
      fields: ['rate', 'accepted', 'rejected', 'errors'],
      stream: io.stderr,
    });
    let summary: SimulationSummary;
    try {
      summary = await runSimulation(run, sink, {
        signal: io.signal,
        onProgress: (state) =>
          // Before the first answer there is no rate to show, and the bar's ETA would read NaN.
          state.sent > 0 &&
          progress.update(state.sent, {
            rate: `${formatCount((state.sent * 1000) / Math.max(1, state.elapsedMs))}/s`,
            accepted: formatCount(state.accepted),
            rejected: formatCount(state.rejected),
            errors: state.errors,
          }),
      });
    } finally {
      progress.stop();
    }
    io.stdout.write(run.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    if (summary.interrupted) return 130;
    return summary.errors > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    io.stderr.write(`simulate: ${error.message}\n`);
    return 1;
  } finally {
    await sink.close();
  }
}

if (require.main === module) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`simulate: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
