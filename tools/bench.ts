/**
 * `npm run bench`: drives the local runtime end to end with a generated stream and reports sustained
 * throughput, latency from the 202 to visible at a fixed rate, peak RSS, exactness against the
 * generator's independent truth, and the in-memory ceiling of the same work. Writes
 * bench/results/latest.json, latest.md and a line of history.csv.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatCount, formatHelp, type OptionSpec, parseOptions, type ParsedOptions, startProgress, UsageError } from './lib/cli';
import { HttpTarget } from './lib/http';
import { measureCeiling } from './lib/bench/ceiling';
import { type ApiRow, compareWindow } from './lib/bench/exactness';
import { cpuBudget, formatCpuBudget, formatProfileSummary, readProfile, summarizeProfile } from './lib/bench/profile';
import { type BenchResults, type MachineInfo, type Mismatch, TARGETS, targetsMet, writeResults } from './lib/bench/results';
import { cpuPerEvent, descendantsOf, readThreadCpu } from './lib/proc';
import { type RuntimeProcess, startRuntime } from './lib/runtime';
import { summarizeLatencies } from './lib/bench/stats';
import { type Body, buildBodies, createGenerator, type Probe, probeEvent, type StreamOptions, withProbe } from './lib/bench/workload';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const QUICK = { events: 50_000, latencySeconds: 5 } as const;

export const BENCH_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'quick',
    kind: 'flag',
    description: `A short run for CI (${formatCount(QUICK.events)} events, ${QUICK.latencySeconds} s of latency probes); exits non-zero only when the counts are not exact.`,
  },
  { name: 'events', kind: 'integer', min: 1000, placeholder: '<n>', default: 1_000_000, description: 'Events in the maximum-rate phase.' },
  {
    name: 'batch-size',
    kind: 'integer',
    min: 1,
    max: 20_000,
    placeholder: '<n>',
    default: 1000,
    description: 'Events per POST /api/events.',
  },
  {
    name: 'concurrency',
    kind: 'integer',
    min: 1,
    max: 64,
    placeholder: '<n>',
    default: 4,
    description: 'POSTs in flight during the maximum-rate phase.',
  },
  {
    name: 'duplicates',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.05,
    description: 'Share of events that re-send an earlier detection.',
  },
  {
    name: 'late',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: 0.02,
    description: 'Share of detections stamped 1 to 6 hours in the past.',
  },
  { name: 'invalid', kind: 'fraction', placeholder: '<0..1>', default: 0, description: 'Share of invalid events.' },
  { name: 'large-ids', kind: 'fraction', placeholder: '<0..1>', default: 0.1, description: 'Share of detection oids above 2^53.' },
  {
    name: 'ids',
    kind: 'string',
    placeholder: 'sequential|random',
    default: 'sequential',
    description: 'Detection oids counting up, or scattered over the key space (the dedup index worst case).',
  },
  { name: 'locations', kind: 'integer', min: 1, placeholder: '<n>', default: 100, description: 'Locations.' },
  { name: 'items', kind: 'integer', min: 1, max: 1000, placeholder: '<n>', default: 50, description: 'Items.' },
  {
    name: 'skew',
    kind: 'number',
    min: 0,
    max: 10,
    placeholder: '<s>',
    default: 1,
    description: 'Zipf exponent of location and item popularity.',
  },
  { name: 'seed', kind: 'integer', placeholder: '<n>', default: 42, description: 'Generator seed.' },
  {
    name: 'latency-rate',
    kind: 'number',
    min: 1,
    placeholder: '<events/s>',
    default: 10_000,
    description: 'Fixed rate of the latency phase.',
  },
  { name: 'latency-seconds', kind: 'number', min: 1, placeholder: '<s>', default: 30, description: 'Length of the latency phase.' },
  {
    name: 'latency-batch',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: 1000,
    description: 'Events per POST in the latency phase; each POST carries one probe.',
  },
  {
    name: 'poll-ms',
    kind: 'integer',
    min: 1,
    placeholder: '<ms>',
    default: 20,
    description: 'How often outstanding probes are looked up.',
  },
  {
    name: 'drain-timeout',
    kind: 'number',
    min: 1,
    placeholder: '<s>',
    default: 900,
    description: 'Longest wait for the backlog to empty.',
  },
  {
    name: 'runtime-env',
    kind: 'string',
    placeholder: '<NAME=value,...>',
    description: 'Extra settings for the runtime, e.g. PARTITIONS=8,INGEST_BATCH_SIZE=4000.',
  },
  {
    name: 'profile',
    kind: 'flag',
    description: 'Run the runtime under --cpu-prof; the profile goes to bench/results/profile/ and its summary into latest.json.',
  },
  {
    name: 'out',
    kind: 'string',
    placeholder: '<dir>',
    default: 'bench/results',
    description: 'Where latest.json, latest.md and history.csv go.',
  },
  { name: 'keep-data', kind: 'flag', description: "Keep the runtime's temporary DATA_DIR." },
];

export const BENCH_HELP = {
  usage: 'npm run bench -- [options]',
  summary:
    "Starts the local runtime (temporary DATA_DIR, free port) as a child process and drives it end to end. Phase 1 POSTs the stream as fast as it is accepted and times it until every event is counted (throughput). Phase 2 sends at a fixed rate with one probe event per POST and times each probe from its 202 until GET /api/top-items shows it (latency). Then it compares every count with the generator's own truth (exactness) and reads the runtime's peak RSS. The in-memory ceiling (parse, validate, dedup, count on the same bodies, no I/O) runs first, before the runtime starts.",
  options: BENCH_OPTIONS,
  examples: [
    'npm run bench',
    'npm run bench -- --quick',
    'npm run bench -- --events 200000 --profile',
    'npm run bench -- --runtime-env PARTITIONS=8',
  ],
  notes: ['Exit code: 0 when the counts are exact, 1 when they are not, 2 on a usage error. Speed targets are reported, not enforced.'],
};

interface Health {
  readonly status: string;
  readonly counters: { accepted: number; stored: number; duplicates: number; conflicts: number; invalid: number; unknown_location: number };
  readonly backlog: { events: number | null; changes: number | null };
}

async function readHealth(url: string): Promise<Health> {
  const response = await fetch(`${url}/api/health`);
  if (!response.ok) throw new Error(`GET /api/health answered ${response.status}`);
  return (await response.json()) as Health;
}

const targets = new Map<string, HttpTarget>();

async function postEvents(url: string, body: string): Promise<{ accepted: number; rejected: number }> {
  const target = targets.get(url) ?? targets.set(url, new HttpTarget(new URL(url), { maxSockets: 256 })).get(url)!;
  const answer = await target.post('/api/events', body);
  if (answer.status !== 202) throw new Error(`POST /api/events answered ${answer.status}: ${answer.body.slice(0, 500)}`);
  return JSON.parse(answer.body) as { accepted: number; rejected: number };
}

async function topItems(url: string, query: Record<string, string>): Promise<ApiRow[]> {
  const response = await fetch(`${url}/api/top-items?${new URLSearchParams(query).toString()}`);
  if (!response.ok) throw new Error(`GET /api/top-items answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return (await response.json()) as ApiRow[];
}

function drained(health: Health, expectedValid: number): boolean {
  return (
    health.backlog.events === 0 && health.backlog.changes === 0 && health.counters.stored + health.counters.duplicates >= expectedValid
  );
}

/** Polls health until drained; resolves with the time (performance.now) of the answer that showed it. */
async function waitDrained(
  url: string,
  expectedValid: number,
  timeoutMs: number,
  onHealth: (health: Health) => void,
): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const health = await readHealth(url);
    const at = performance.now();
    onHealth(health);
    if (drained(health, expectedValid)) return at;
    await sleep(50);
  }
  return null;
}

export function parseRuntimeEnv(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const env: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--runtime-env: "${pair}" is not NAME=value`);
    env[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return env;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
  };
}

function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty === '' ? sha : `${sha}+dirty`;
  } catch {
    return null;
  }
}

function countBy<T>(values: readonly T[], key: (value: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[key(value)] = (counts[key(value)] ?? 0) + 1;
  return counts;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

interface Settings {
  readonly quick: boolean;
  readonly events: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly stream: StreamOptions;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly latencyBatch: number;
  readonly pollMs: number;
  readonly drainTimeoutMs: number;
  readonly runtimeEnv: Record<string, string>;
  readonly profile: boolean;
  readonly out: string;
  readonly keepData: boolean;
}

export function settingsFrom(options: ParsedOptions, argv: readonly string[]): Settings {
  const quick = options.flag('quick');
  const given = (name: string) => argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  return {
    quick,
    events: quick && !given('events') ? QUICK.events : options.number('events'),
    batchSize: options.number('batch-size'),
    concurrency: options.number('concurrency'),
    stream: {
      seed: options.number('seed'),
      locations: options.number('locations'),
      items: options.number('items'),
      skew: options.number('skew'),
      duplicates: options.number('duplicates'),
      late: options.number('late'),
      invalid: options.number('invalid'),
      largeIds: options.number('large-ids'),
      idOrder: idOrderOf(options.string('ids')),
    },
    latencyRate: options.number('latency-rate'),
    latencySeconds: quick && !given('latency-seconds') ? QUICK.latencySeconds : options.number('latency-seconds'),
    latencyBatch: options.number('latency-batch'),
    pollMs: options.number('poll-ms'),
    drainTimeoutMs: options.number('drain-timeout') * 1000,
    runtimeEnv: parseRuntimeEnv(options.optionalString('runtime-env')),
    profile: options.flag('profile'),
    out: path.resolve(PROJECT_ROOT, options.string('out')),
    keepData: options.flag('keep-data'),
  };
}

interface LatencyPhase {
  readonly samples: number[];
  readonly unresolved: number;
  readonly probes: number;
  readonly events: number;
  readonly achievedEps: number;
  readonly problems: string[];
}

/** Sends `bodies` at a fixed rate, one probe per POST, and times each probe from its 202 to visible. */
async function latencyPhase(url: string, bodies: readonly Body[], settings: Settings): Promise<LatencyPhase> {
  const intervalMs = (settings.latencyBatch / settings.latencyRate) * 1000;
  const samples: number[] = [];
  const problems: string[] = [];
  const outstanding = new Map<number, { probe: Probe; acceptedAt: number }>();
  const totalEvents = bodies.reduce((sum, body) => sum + body.events, 0) + bodies.length;
  const progress = startProgress({ total: totalEvents, unit: 'events', fields: ['probes seen', 'p50 ms'] });
  let sent = 0;
  let sending = true;
  const inFlight = new Set<Promise<void>>();

  const poller = (async () => {
    let idleSince: number | null = null;
    while (sending || outstanding.size > 0) {
      if (!sending && outstanding.size > 0) {
        idleSince ??= performance.now();
        if (performance.now() - idleSince > 30_000) break;
      }
      await Promise.all(
        [...outstanding].map(async ([sequence, { probe, acceptedAt }]) => {
          const rows = await topItems(url, { location: probe.locationOid, top: '1' });
          if (rows.some((row) => row.item_name === probe.itemName && row.item_count === 1)) {
            samples.push(performance.now() - acceptedAt);
            outstanding.delete(sequence);
          }
        }),
      );
      const sorted = [...samples].sort((a, b) => a - b);
      progress.update(sent, {
        'probes seen': samples.length,
        'p50 ms': sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)] as number) : '-',
      });
      await sleep(settings.pollMs);
    }
  })();

  const started = performance.now();
  let lastSentAt = started;
  const accepted = bodies.map(() => deferred());
  for (const [index, body] of bodies.entries()) {
    const due = started + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await Promise.all(body.after.map((dependency) => accepted[dependency]?.promise ?? Promise.resolve()));
    const probe = probeEvent(index, Date.now());
    const request = postEvents(url, withProbe(body.text, probe))
      .then((answer) => {
        outstanding.set(index, { probe, acceptedAt: performance.now() });
        accepted[index]?.resolve();
        if (answer.rejected > 0 && settings.stream.invalid === 0)
          problems.push(`a latency-phase POST had ${answer.rejected} events rejected`);
      })
      .catch((error: unknown) => {
        accepted[index]?.resolve();
        problems.push(`latency-phase POST failed: ${(error as Error).message}`);
      });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    sent += body.events + 1;
    lastSentAt = performance.now();
  }
  await Promise.all(inFlight);
  sending = false;
  await poller;
  progress.stop();
  const unresolved = outstanding.size;
  if (unresolved > 0) problems.push(`${unresolved} probe(s) never became visible in GET /api/top-items`);
  const seconds = Math.max((lastSentAt - started) / 1000, intervalMs / 1000);
  return { samples, unresolved, probes: bodies.length, events: totalEvents, achievedEps: totalEvents / seconds, problems };
}

type Generator = ReturnType<typeof createGenerator>;

interface ThroughputPhase {
  readonly throughputEps: number;
  readonly acceptEps: number;
  readonly drainSeconds: number;
  readonly cpuByThread: ReturnType<typeof cpuPerEvent>;
}

/** Phase 1: POST everything as fast as it is accepted, then wait until every event is counted. */
async function throughputPhase(
  runtime: RuntimeProcess,
  bodies: readonly Body[],
  expectedValid: number,
  settings: Settings,
  problems: string[],
): Promise<ThroughputPhase> {
  const url = runtime.url;
  say(`phase 1: ${formatCount(settings.events)} events at the maximum rate, ${settings.concurrency} POSTs in flight`);
  const progress = startProgress({ total: expectedValid, unit: 'counted', fields: ['accepted', 'backlog'] });
  let acked = 0;
  let next = 0;
  const show = (health: Health): void =>
    progress.update(health.counters.stored + health.counters.duplicates, {
      accepted: formatCount(acked),
      backlog: `${health.backlog.events ?? '?'}/${health.backlog.changes ?? '?'}`,
    });
  const started = performance.now();
  let postingDone = false;
  const watcher = (async () => {
    while (!postingDone) {
      // A slow health answer under load is not a failure of the run.
      await readHealth(url).then(show, () => undefined);
      await sleep(250);
    }
  })();
  const cpuBefore = readThreadCpu(runtime.pid);
  const othersBefore = { client: process.cpuUsage(), children: childrenCpuSeconds(runtime.pid) };
  const accepted = bodies.map(() => deferred());
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      const body = bodies[index] as Body;
      await Promise.all(body.after.map((index) => accepted[index]?.promise ?? Promise.resolve()));
      const answer = await postEvents(url, body.text);
      accepted[index]?.resolve();
      if (answer.rejected > 0 && settings.stream.invalid === 0) problems.push(`a POST had ${answer.rejected} events rejected`);
      acked += body.events;
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, worker));
  const acceptedAt = performance.now();
  postingDone = true;
  await watcher;
  const doneAt = await waitDrained(url, expectedValid, settings.drainTimeoutMs, show);
  progress.stop();
  const cpuByThread = cpuPerEvent(cpuBefore, readThreadCpu(runtime.pid), settings.events);
  const clientCpu = process.cpuUsage(othersBefore.client);
  if (doneAt === null) problems.push(`phase 1 did not drain within ${settings.drainTimeoutMs / 1000} s`);
  const throughputSeconds = ((doneAt ?? performance.now()) - started) / 1000;
  const phase = {
    throughputEps: doneAt === null ? 0 : settings.events / throughputSeconds,
    acceptEps: settings.events / ((acceptedAt - started) / 1000),
    drainSeconds: ((doneAt ?? performance.now()) - acceptedAt) / 1000,
    cpuByThread,
  };
  reportCpu(cpuByThread, {
    client: (clientCpu.user + clientCpu.system) / settings.events,
    children: ((childrenCpuSeconds(runtime.pid) - othersBefore.children) * 1e6) / settings.events,
  });
  return phase;
}

function reportCpu(cpuByThread: ReturnType<typeof cpuPerEvent>, othersUs: { client: number; children: number }): void {
  if (cpuByThread.length === 0) return;
  const total = cpuByThread.reduce((sum, [, us]) => sum + us, 0);
  const parts = cpuByThread.map(([name, us]) => `${name} ${us.toFixed(1)}`).join(', ');
  say(`runtime CPU in phase 1: ${total.toFixed(1)} µs per event (by thread: ${parts})`);
  say(
    `beside it: this benchmark's client ${othersUs.client.toFixed(1)} µs, the runtime's children (Azurite) ${othersUs.children.toFixed(1)} µs per event`,
  );
}

interface ExactnessCheck {
  readonly exact: boolean;
  readonly exactness: BenchResults['exactness'];
  readonly locations: number;
}

/** Phase 3: everything counted, then every count compared with the truth. */
async function exactnessPhase(
  url: string,
  generator: Generator,
  probes: number,
  settings: Settings,
  problems: string[],
): Promise<ExactnessCheck> {
  const totals = generator.truth.totals;
  say('waiting for the backlog to empty, then checking every count...');
  const finalAt = await waitDrained(url, totals.valid + probes, settings.drainTimeoutMs, () => undefined);
  if (finalAt === null) problems.push(`the final backlog did not drain within ${settings.drainTimeoutMs / 1000} s`);
  const health = await readHealth(url);
  const expectedStored = totals.distinct + probes;
  if (health.counters.stored !== expectedStored)
    problems.push(`health says ${health.counters.stored} stored, the truth ${expectedStored} distinct detections (probes included)`);
  if (health.counters.duplicates !== totals.duplicates)
    problems.push(`health says ${health.counters.duplicates} duplicates, the truth ${totals.duplicates}`);
  const mismatches: Mismatch[] = [];
  let windowsChecked = 0;
  let rowsChecked = 0;
  const check = async (window: string, hours?: string[]) => {
    const result = compareWindow(await topItems(url, { top: '1000', window }), generator.truth, window, hours);
    mismatches.push(...result.mismatches);
    problems.push(...result.problems);
    windowsChecked += 1;
    rowsChecked += result.rows;
    return result;
  };
  const allTime = await check('all');
  for (const hour of generator.truth.hours()) await check(`hour:${hour}`, [hour]);
  const exact = problems.length === 0 && mismatches.length === 0;
  say(
    exact
      ? `exact: every count matches the truth (${allTime.locations} locations, ${windowsChecked} windows)`
      : `NOT EXACT: ${problems.length} problem(s), ${mismatches.length} mismatching count(s)`,
  );
  return {
    exact,
    locations: allTime.locations,
    exactness: {
      locations_checked: allTime.locations,
      windows_checked: windowsChecked,
      rows_checked: rowsChecked,
      expected_stored: expectedStored,
      stored: health.counters.stored,
      expected_duplicates: totals.duplicates,
      duplicates: health.counters.duplicates,
      mismatch_count: mismatches.length,
      mismatches_by_window: countBy(mismatches, (mismatch) => mismatch.window),
      mismatches: mismatches.slice(0, 50),
      problems,
    },
  };
}

/** The CPU profile of the runtime's main thread, summarised, when the run was profiled. */
function profileSummary(settings: Settings, profileDir: string, runtimePid: number, events: number): string[] | undefined {
  if (!settings.profile) return undefined;
  // One file per thread: <time>.<pid>.<thread>.<seq>. Thread 0 is the runtime's main thread (tsx adds a loader thread).
  const files = readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile') && file.includes(`.${runtimePid}.`));
  const newest =
    files.find((file) => file.includes(`.${runtimePid}.0.`)) ??
    files.sort((a, b) => statSync(path.join(profileDir, b)).size - statSync(path.join(profileDir, a)).size)[0];
  if (!newest) {
    say('no CPU profile was written (the runtime must exit normally on SIGTERM for --cpu-prof to write one)');
    return undefined;
  }
  const cpuProfile = readProfile(path.join(profileDir, newest));
  const text = `${formatProfileSummary(summarizeProfile(cpuProfile, 20))}\n${formatCpuBudget(cpuBudget(cpuProfile, events))}`;
  say(`profile ${newest}:\n${text}`);
  return [`file: ${path.relative(PROJECT_ROOT, path.join(profileDir, newest))}`, ...text.split('\n').filter(Boolean)];
}

function optionsOf(settings: Settings): BenchResults['options'] {
  return {
    events: settings.events,
    batch_size: settings.batchSize,
    concurrency: settings.concurrency,
    duplicates: settings.stream.duplicates,
    late: settings.stream.late,
    invalid: settings.stream.invalid,
    large_ids: settings.stream.largeIds,
    ids: settings.stream.idOrder,
    locations: settings.stream.locations,
    items: settings.stream.items,
    skew: settings.stream.skew,
    seed: settings.stream.seed,
    latency_rate: settings.latencyRate,
    latency_seconds: settings.latencySeconds,
    latency_batch: settings.latencyBatch,
    poll_ms: settings.pollMs,
    runtime_env: Object.entries(settings.runtimeEnv)
      .map(([name, value]) => `${name}=${value}`)
      .join(','),
    profile: settings.profile,
  };
}

/** The ceiling, before the runtime starts, so it has the CPU to itself. */
function ceilingPhase(bodies: readonly Body[]): number {
  say('measuring the in-memory ceiling (parse, validate, dedup, count)...');
  let next = 0;
  const { result } = measureCeiling(
    () => bodies[next++]?.text,
    64,
    bodies.slice(0, 20).map((body) => body.text),
  );
  say(`ceiling: ${formatCount(result.eventsPerSecond)} events/s`);
  return result.eventsPerSecond;
}

async function run(settings: Settings): Promise<BenchResults> {
  // The stream, built up front; the truth snapshot after phase 1 is what phase 1 must add up to.
  say(`generating ${formatCount(settings.events)} events (${settings.batchSize} per POST)...`);
  const generator = createGenerator(settings.stream);
  const bodies = buildBodies(generator, settings.events, settings.batchSize);
  const phaseOneValid = generator.truth.totals.valid;
  const latencyBodies = buildBodies(generator, Math.round(settings.latencyRate * settings.latencySeconds), settings.latencyBatch);
  const ceilingEps = ceilingPhase(bodies);

  // The runtime, as a child process with a temporary DATA_DIR and a free port.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-runtime-'));
  const profileDir = path.join(settings.out, 'profile');
  if (settings.profile) mkdirSync(profileDir, { recursive: true });
  let runtime: RuntimeProcess | undefined;
  const onSignal = () => {
    void (async () => {
      await runtime?.stop('SIGTERM', 5000);
      if (!settings.keepData) rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say(`starting the runtime (DATA_DIR ${dataDir})...`);
    runtime = await startRuntime({
      dataDir,
      // Not through us: the benchmark's own CPU is measured apart from the runtime's.
      logFile: path.join(dataDir, 'runtime.log'),
      untilReady: true,
      startTimeoutMs: 120_000,
      env: settings.runtimeEnv,
      nodeArgs: settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    say(`runtime at ${runtime.url} (pid ${runtime.pid})`);
    const problems: string[] = [];

    const phase1 = await throughputPhase(runtime, bodies, phaseOneValid, settings, problems);
    const ceilingRatio = ceilingEps > 0 ? phase1.throughputEps / ceilingEps : 0;
    say(
      `throughput ${formatCount(phase1.throughputEps)} events/s, ${(ceilingRatio * 100).toFixed(1)} % of the in-memory ceiling (accepted at ${formatCount(phase1.acceptEps)} events/s, drained ${phase1.drainSeconds.toFixed(1)} s after the last 202)`,
    );

    // Phase 2: latency at a fixed rate.
    say(
      `phase 2: ${settings.latencySeconds} s at ${formatCount(settings.latencyRate)} events/s, one probe per POST of ${settings.latencyBatch}`,
    );
    const latency = await latencyPhase(runtime.url, latencyBodies, settings);
    problems.push(...latency.problems);
    const latencySummary = summarizeLatencies(latency.samples);
    say(
      `latency p50 ${String(latencySummary.p50)} ms, p95 ${String(latencySummary.p95)} ms, p99 ${String(latencySummary.p99)} ms (${latencySummary.samples} probes)`,
    );

    const check = await exactnessPhase(runtime.url, generator, latency.probes, settings, problems);
    const rssMb = runtime.peakRssMb();
    const childrenMb = runtime.childrenRssMb();
    say(`peak RSS of the runtime ${String(rssMb)} MB${childrenMb === null ? '' : ` (children now ${childrenMb} MB)`}`);
    const exit = await runtime.stop();
    if (exit.code !== 0) say(`the runtime exited with ${String(exit.code ?? exit.signal)} on SIGTERM`);
    // Every event the runtime handled while profiled: both phases, probes included.
    const profile = profileSummary(settings, profileDir, runtime.pid, settings.events + latency.events);

    const base = {
      throughput_eps: Math.round(phase1.throughputEps),
      ceiling_ratio: ceilingRatio,
      latency_ms: { ...latencySummary, rate_eps: settings.latencyRate, achieved_eps: Math.round(latency.achievedEps) },
      rss_mb: rssMb,
    };
    return {
      timestamp: new Date().toISOString(),
      git_commit: gitCommit(),
      quick: settings.quick,
      machine: machineInfo(),
      options: optionsOf(settings),
      ...base,
      accept_eps: Math.round(phase1.acceptEps),
      drain_seconds: Math.round(phase1.drainSeconds * 10) / 10,
      events: settings.events,
      rss_children_mb: childrenMb,
      ceiling_eps: Math.round(ceilingEps),
      cpu_us_per_event: Object.fromEntries(phase1.cpuByThread.map(([name, us]) => [name, Math.round(us * 10) / 10])),
      exact: check.exact,
      exactness: check.exactness,
      targets: TARGETS,
      met: targetsMet(base),
      ...(profile ? { profile } : {}),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime?.stop();
    if (!settings.keepData) rmSync(dataDir, { recursive: true, force: true });
    else say(`kept the runtime's data in ${dataDir}`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let settings: Settings;
  try {
    const options = parseOptions(argv, BENCH_OPTIONS);
    if (options.help) {
      process.stdout.write(formatHelp(BENCH_HELP));
      return 0;
    }
    settings = settingsFrom(options, argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  if (!existsSync(path.join(PROJECT_ROOT, 'local', 'main.ts'))) {
    process.stderr.write('local/main.ts is missing: the benchmark drives the local runtime.\n');
    return 1;
  }
  const results = await run(settings);
  const files = writeResults(settings.out, results);
  process.stdout.write(
    `\n${results.exact ? 'exact' : 'NOT EXACT'}; wrote ${path.relative(PROJECT_ROOT, files.json)}, ${path.relative(PROJECT_ROOT, files.markdown)} and a line of ${path.relative(PROJECT_ROOT, files.history)}\n`,
  );
  return results.exact ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

function idOrderOf(text: string): 'sequential' | 'random' {
  if (text === 'sequential' || text === 'random') return text;
  throw new UsageError(`--ids must be sequential or random, got ${text}`);
}

/** CPU seconds used so far by a process's descendants (the embedded Azurite). */
function childrenCpuSeconds(pid: number): number {
  let seconds = 0;
  for (const child of descendantsOf(pid)) for (const used of readThreadCpu(child).values()) seconds += used;
  return seconds;
}
