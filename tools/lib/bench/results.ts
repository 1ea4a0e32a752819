/**
 * The benchmark's results: bench/results/latest.json (the contract of the product spec), latest.md (a
 * table for people) and one line per run appended to history.csv (committed, so runs can be compared).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LatencySummary } from './stats';

/** Exact counts on the 2-core machine: ahead of a Redis-based pipeline measured there (40,000–48,000 events/s). */
export const TARGETS = { throughput_eps: 45_000, ceiling_ratio: 0.23, p99_ms: 500, rss_mb: 512 } as const;

export interface MachineInfo {
  readonly cpus: number;
  readonly cpu_model: string;
  readonly memory_gb: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
}

export interface Mismatch {
  readonly location: string;
  readonly window: string;
  readonly item: string;
  readonly expected: number;
  readonly actual: number;
}

export interface BenchResults {
  readonly timestamp: string;
  readonly git_commit: string | null;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  readonly options: Readonly<Record<string, string | number | boolean | null>>;
  /** Events per second from the first POST of the throughput phase until every one of them was counted. */
  readonly throughput_eps: number;
  /** Events per second from the first POST until the last 202: how fast the runtime accepts. */
  readonly accept_eps: number;
  /** Seconds from the last 202 until the backlog was empty and every accepted event was stored or a duplicate. */
  readonly drain_seconds: number;
  readonly events: number;
  readonly latency_ms: LatencySummary & { readonly rate_eps: number; readonly achieved_eps: number };
  /** Peak resident set (VmHWM) of the runtime process; null when the runtime was not started by the bench. */
  readonly rss_mb: number | null;
  /** Resident set of the runtime's child processes (the embedded Azurite) at the end, for information. */
  readonly rss_children_mb: number | null;
  readonly ceiling_eps: number;
  /** The runtime process's CPU (user + system) in phase 1 per event, by thread name; empty without /proc. */
  readonly cpu_us_per_event?: Readonly<Record<string, number>>;
  /** throughput_eps / ceiling_eps. */
  readonly ceiling_ratio: number;
  readonly exact: boolean;
  readonly exactness: {
    readonly locations_checked: number;
    readonly windows_checked: number;
    readonly rows_checked: number;
    readonly expected_stored: number;
    readonly stored: number;
    readonly expected_duplicates: number;
    readonly duplicates: number;
    readonly mismatch_count: number;
    /** Mismatching counts per window checked. */
    readonly mismatches_by_window: Readonly<Record<string, number>>;
    /** The first mismatches, for a look. */
    readonly mismatches: readonly Mismatch[];
    readonly problems: readonly string[];
  };
  readonly targets: typeof TARGETS;
  readonly met: { readonly throughput: boolean; readonly ratio: boolean; readonly p99: boolean; readonly rss: boolean };
  readonly profile?: readonly string[];
}

export function targetsMet(results: Pick<BenchResults, 'throughput_eps' | 'ceiling_ratio' | 'latency_ms' | 'rss_mb'>): BenchResults['met'] {
  return {
    throughput: results.throughput_eps >= TARGETS.throughput_eps,
    ratio: results.ceiling_ratio >= TARGETS.ceiling_ratio,
    p99: results.latency_ms.p99 !== null && results.latency_ms.p99 <= TARGETS.p99_ms,
    rss: results.rss_mb !== null && results.rss_mb <= TARGETS.rss_mb,
  };
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })} ms`);
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');

export function formatMarkdown(results: BenchResults): string {
  const { latency_ms: latency, met } = results;
  const lines = [
    `# Benchmark results${results.quick ? ' (quick)' : ''}`,
    '',
    `${results.timestamp}, commit ${results.git_commit ?? 'unknown'}, ${results.machine.cpus} × ${results.machine.cpu_model}, ${results.machine.memory_gb} GB, Node ${results.machine.node}`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| sustained throughput, accepted → counted | ${count(results.throughput_eps)} events/s | ≥ ${count(TARGETS.throughput_eps)} events/s: ${mark(met.throughput)} |`,
    `| accept rate (POST → 202) | ${count(results.accept_eps)} events/s | |`,
    `| drain after the last 202 | ${results.drain_seconds.toFixed(1)} s | |`,
    `| latency 202 → visible, p50 | ${ms(latency.p50)} | |`,
    `| latency 202 → visible, p95 | ${ms(latency.p95)} | |`,
    `| latency 202 → visible, p99 | ${ms(latency.p99)} | ≤ ${count(TARGETS.p99_ms)} ms: ${mark(met.p99)} |`,
    `| latency samples (at ${count(latency.rate_eps)} events/s, achieved ${count(latency.achieved_eps)}) | ${latency.samples} | |`,
    `| peak RSS of the runtime | ${results.rss_mb === null ? 'n/a' : `${results.rss_mb} MB`} | ≤ ${TARGETS.rss_mb} MB: ${mark(met.rss)} |`,
    `| in-memory ceiling (parse, validate, dedup, count) | ${count(results.ceiling_eps)} events/s | |`,
    ...(results.cpu_us_per_event
      ? [
          `| runtime CPU per event in phase 1 (all threads) | ${totalCpuUs(results.cpu_us_per_event).toFixed(1)} µs (${Object.entries(
            results.cpu_us_per_event,
          )
            .map(([name, us]) => `${name} ${us}`)
            .join(', ')}) | |`,
        ]
      : []),
    `| throughput / ceiling | ${(results.ceiling_ratio * 100).toFixed(1)} % | ≥ ${TARGETS.ceiling_ratio * 100} %: ${mark(met.ratio)} |`,
    `| exact counts | ${results.exact ? 'yes' : '**NO**'} (${results.exactness.locations_checked} locations, ${results.exactness.windows_checked} windows, ${count(results.exactness.rows_checked)} rows) | exact |`,
    '',
    `Stream: ${count(results.events)} events; options: ${Object.entries(results.options)
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(', ')}.`,
  ];
  if (!results.exact) {
    lines.push('', '## Exactness problems', '', ...results.exactness.problems.map((problem) => `- ${problem}`));
    for (const mismatch of results.exactness.mismatches.slice(0, 20)) {
      lines.push(
        `- location ${mismatch.location}, ${mismatch.window}, "${mismatch.item}": expected ${mismatch.expected}, got ${mismatch.actual}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export const HISTORY_HEADER =
  'timestamp,git_commit,quick,events,throughput_eps,accept_eps,p50_ms,p95_ms,p99_ms,rss_mb,ceiling_eps,ceiling_ratio,exact,cpus,node,cpu_us_per_event';

export function historyLine(results: BenchResults): string {
  const cell = (value: string | number | boolean | null) => (value === null ? '' : String(value).replace(/[",\n]/g, ' '));
  return [
    results.timestamp,
    results.git_commit,
    results.quick,
    results.events,
    Math.round(results.throughput_eps),
    Math.round(results.accept_eps),
    results.latency_ms.p50,
    results.latency_ms.p95,
    results.latency_ms.p99,
    results.rss_mb,
    Math.round(results.ceiling_eps),
    results.ceiling_ratio.toFixed(3),
    results.exact,
    results.machine.cpus,
    results.machine.node,
    results.cpu_us_per_event ? totalCpuUs(results.cpu_us_per_event).toFixed(1) : null,
  ]
    .map(cell)
    .join(',');
}

/** The runtime's CPU per event over all its threads. */
export function totalCpuUs(byThread: Readonly<Record<string, number>>): number {
  return Object.values(byThread).reduce((sum, us) => sum + us, 0);
}

/** Writes latest.json and latest.md and appends to history.csv (with a header when the file is new or empty). */
export function writeResults(directory: string, results: BenchResults): { json: string; markdown: string; history: string } {
  mkdirSync(directory, { recursive: true });
  const json = path.join(directory, 'latest.json');
  const markdown = path.join(directory, 'latest.md');
  const history = path.join(directory, 'history.csv');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(markdown, formatMarkdown(results));
  const fresh = !existsSync(history) || readFileSync(history, 'utf8').trim() === '';
  appendFileSync(history, `${fresh ? `${HISTORY_HEADER}\n` : ''}${historyLine(results)}\n`);
  return { json, markdown, history };
}
