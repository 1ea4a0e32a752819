/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): the functions with the most self time and the most
 * inclusive time, so docs/performance.md can quote what the profile showed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface FunctionCost {
  /** `name (file:line)`, with the path shortened to the project or the package. */
  readonly name: string;
  readonly selfMs: number;
  readonly totalMs: number;
  readonly selfShare: number;
  readonly totalShare: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly bySelf: readonly FunctionCost[];
  readonly byTotal: readonly FunctionCost[];
}

const PSEUDO = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

export function shortLocation(url: string): string {
  if (url === '') return '';
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('/node_modules/');
  if (modules >= 0) return clean.slice(modules + '/node_modules/'.length);
  if (clean.startsWith('node:')) return clean;
  const relative = path.relative(process.cwd(), clean);
  return relative.startsWith('..') ? clean : relative;
}

function labelOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  const where = shortLocation(url);
  if (where === '') return name;
  // Project files run through tsx, whose line numbers do not match the sources: the file says enough.
  return where.startsWith('node:') ? `${name} (${where}:${lineNumber + 1})` : `${name} (${where})`;
}

/** The nodes of a profile by id, and each node's parent: what walking a sample's stack needs. */
function indexNodes(profile: CpuProfile): { byId: Map<number, ProfileNode>; parentOf: Map<number, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  return { byId, parentOf };
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const { byId, parentOf } = indexNodes(profile);
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, index) => selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const totalMs = [...selfById.values()].reduce((sum, ms) => sum + ms, 0);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idleMs = 0;
  let gcMs = 0;
  for (const [id, ms] of selfById) {
    const node = byId.get(id);
    if (!node) continue;
    const label = labelOf(node);
    if (node.callFrame.functionName === '(idle)') idleMs += ms;
    if (node.callFrame.functionName === '(garbage collector)') gcMs += ms;
    self.set(label, (self.get(label) ?? 0) + ms);
    // Inclusive: count each distinct function once per sample path, so recursion is not double counted.
    const onPath = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const ancestor = byId.get(current);
      if (ancestor) onPath.add(labelOf(ancestor));
    }
    for (const name of onPath) inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
  }

  const busyMs = Math.max(totalMs - idleMs, 1e-9);
  const cost = (name: string): FunctionCost => ({
    name,
    selfMs: self.get(name) ?? 0,
    totalMs: inclusive.get(name) ?? 0,
    selfShare: (self.get(name) ?? 0) / busyMs,
    totalShare: (inclusive.get(name) ?? 0) / busyMs,
  });
  const names = [...inclusive.keys()].filter((name) => !PSEUDO.has(name.split(' (')[0] ?? name) || name === '(garbage collector)');
  return {
    totalMs,
    idleMs,
    gcMs,
    bySelf: names
      .map(cost)
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top),
    byTotal: names
      .filter((name) => !name.startsWith('(root)') && !isLoaderFrame(name))
      .map(cost)
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top),
  };
}

/** Module loading and tsx frames sit above everything and say nothing about where time goes. */
function isLoaderFrame(name: string): boolean {
  return /\((node:internal\/(modules|main)|tsx\/)/.test(name) || name === 'evaluate' || name.startsWith('run (node:internal');
}

export interface Stage {
  readonly name: string;
  /** Matched against the frame's file (shortened path). */
  readonly file: RegExp;
}

/** Where the local runtime's time goes, by the outermost pipeline frame of each sample. */
export const RUNTIME_STAGES: readonly Stage[] = [
  { name: 'accept (POST /api/events: parse, validate, publish)', file: /shared\/pipeline\/acceptEvents\.ts|functions\/events\.ts/ },
  { name: 'ingest (decode, validate, dedup create)', file: /shared\/pipeline\/ingest\.ts/ },
  { name: 'aggregate (fold, counter commits)', file: /shared\/pipeline\/aggregate\.ts/ },
  { name: 'queries (top-items, health)', file: /shared\/pipeline\/(topItems|health)\.ts|functions\/(topItems|health)\.ts/ },
  { name: 'event log (append, read)', file: /local\/eventlog\// },
  { name: 'SQLite outside the stages (commits, change feed, checkpoints)', file: /node-sqlite3-wasm|local\/store\// },
  { name: 'HTTP server', file: /local\/server\.ts|node:_http|node:http/ },
];

export interface StageCost {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** Each busy sample of a profile with the files on its stack, leaf first. */
function busySamples(profile: CpuProfile): { ms: number; leaf: string; files: string[] }[] {
  const { byId, parentOf } = indexNodes(profile);
  const samples: { ms: number; leaf: string; files: string[] }[] = [];
  profile.samples.forEach((id, index) => {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') return;
    const files: string[] = [];
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current)?.callFrame;
      files.push(frame ? shortLocation(frame.url) : '');
    }
    samples.push({ ms: (profile.timeDeltas[index] ?? 0) / 1000, leaf: leaf.callFrame.functionName, files });
  });
  return samples;
}

function tally(samples: readonly { ms: number; name: string }[]): StageCost[] {
  const totals = new Map<string, number>();
  let busy = 0;
  for (const { ms, name } of samples) {
    busy += ms;
    totals.set(name, (totals.get(name) ?? 0) + ms);
  }
  return [...totals].map(([name, ms]) => ({ name, ms, share: busy > 0 ? ms / busy : 0 })).sort((a, b) => b.ms - a.ms);
}

/** Attributes each busy sample to the outermost frame matching a stage, else to GC or 'other'. */
export function stageBreakdown(profile: CpuProfile, stages: readonly Stage[] = RUNTIME_STAGES): StageCost[] {
  return tally(
    busySamples(profile).map(({ ms, leaf, files }) => {
      const outermost = [...files].reverse().flatMap((file) => stages.filter((stage) => stage.file.test(file)))[0];
      return { ms, name: outermost?.name ?? (leaf === '(garbage collector)' ? 'garbage collector' : 'other') };
    }),
  );
}

/**
 * Where the CPU of one event goes, by component: a sample counts for the first component in this
 * order that has a frame anywhere on its stack, so the store's own work is not hidden inside the
 * pipeline stage that called it. The order is the budget's, not the call graph's.
 */
export const RUNTIME_COMPONENTS: readonly Stage[] = [
  { name: 'dedup store: create-only insert', file: /local\/store\/dedupStore\.ts/ },
  { name: 'change feed: read', file: /local\/store\/changeLog\.ts/ },
  { name: 'counter store: read, commit', file: /local\/store\/counterStore\.ts/ },
  { name: 'tally store', file: /local\/store\/tallyStore\.ts/ },
  { name: 'capture: Avro, upload to Azurite', file: /local\/capture\.ts|shared\/capture\/|@azure\/(storage-blob|core-)/ },
  { name: 'event log: append, fsync, read', file: /local\/eventlog\// },
  { name: 'SQLite, the rest: BEGIN/COMMIT, WAL, checkpoints', file: /node-sqlite3-wasm|local\/store\// },
  { name: 'accept: parse, validate, publish', file: /shared\/pipeline\/acceptEvents\.ts|functions\/events\.ts/ },
  { name: 'ingest, tally, aggregate: the pure code', file: /shared\/|functions\// },
  { name: 'HTTP server', file: /local\/server\.ts|node:_http|node:http/ },
];

export interface CpuBudget {
  readonly busyMs: number;
  /** Busy CPU per event, µs. */
  readonly perEventUs: number;
  readonly components: readonly (StageCost & { readonly perEventUs: number })[];
}

/** CPU µs per event of a profile that handled `events` events, split by RUNTIME_COMPONENTS. */
export function cpuBudget(profile: CpuProfile, events: number, components: readonly Stage[] = RUNTIME_COMPONENTS): CpuBudget {
  const costs = tally(
    busySamples(profile).map(({ ms, leaf, files }) => {
      if (leaf === '(garbage collector)') return { ms, name: 'garbage collector' };
      const match = components.find((component) => files.some((file) => component.file.test(file)));
      return { ms, name: match?.name ?? 'other (timers, promises, module code)' };
    }),
  );
  const busyMs = costs.reduce((sum, cost) => sum + cost.ms, 0);
  const perEvent = (ms: number) => (events > 0 ? (ms * 1000) / events : 0);
  return { busyMs, perEventUs: perEvent(busyMs), components: costs.map((cost) => ({ ...cost, perEventUs: perEvent(cost.ms) })) };
}

export function formatCpuBudget(budget: CpuBudget): string {
  const lines = [
    `CPU per event: ${budget.perEventUs.toFixed(1)} µs busy on the main thread (${(budget.busyMs / 1000).toFixed(1)} s), by component:`,
    ...budget.components.map(
      (component) =>
        `  ${component.perEventUs.toFixed(1).padStart(6)} µs  ${(component.share * 100).toFixed(1).padStart(5)} %  ${component.name}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `sampled ${(summary.totalMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s, GC ${(summary.gcMs / 1000).toFixed(1)} s (shares below are of busy time)`,
    '',
    'self time:',
    ...summary.bySelf.map((entry) => `  ${pct(entry.selfShare)}  ${entry.name}`),
    '',
    'inclusive time:',
    ...summary.byTotal.map((entry) => `  ${pct(entry.totalShare)}  ${entry.name}`),
  ];
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const eventsAt = args.indexOf('--events');
  const events = eventsAt >= 0 ? Number(args[eventsAt + 1]) : undefined;
  const files = args.filter((_, index) => eventsAt < 0 || (index !== eventsAt && index !== eventsAt + 1));
  if (files.length === 0 || files.includes('--help') || (events !== undefined && !(events > 0))) {
    process.stdout.write(
      'Usage: tsx tools/lib/bench/profile.ts [--events <n>] <file.cpuprofile>...\n' +
        'Prints the functions with the most self and inclusive CPU time, the time by pipeline stage, and with\n' +
        '--events (the events the profiled runtime handled) the CPU per event by component.\n',
    );
  } else {
    for (const file of files) {
      const profile = readProfile(file);
      const stages = stageBreakdown(profile)
        .map((stage) => `  ${(stage.share * 100).toFixed(1).padStart(5)} %  ${stage.name}`)
        .join('\n');
      const budget = events === undefined ? '' : `\n${formatCpuBudget(cpuBudget(profile, events))}`;
      process.stdout.write(
        `== ${file}\n${formatProfileSummary(summarizeProfile(profile))}\nby pipeline stage (outermost frame):\n${stages}\n${budget}\n`,
      );
    }
  }
}
