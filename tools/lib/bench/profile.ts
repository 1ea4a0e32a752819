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

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, index) => selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const totalMs = [...selfById.values()].reduce((sum, ms) => sum + ms, 0);

  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

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
  { name: 'SQLite outside the stages (commits, change log, checkpoints)', file: /node-sqlite3-wasm|local\/store\// },
  { name: 'HTTP server', file: /local\/server\.ts|node:_http|node:http/ },
];

export interface StageCost {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** Attributes each busy sample to the outermost frame matching a stage, else to GC or 'other'. */
export function stageBreakdown(profile: CpuProfile, stages: readonly Stage[] = RUNTIME_STAGES): StageCost[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const totals = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') return;
    busy += ms;
    let stage = leaf.callFrame.functionName === '(garbage collector)' ? 'garbage collector' : 'other';
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current)?.callFrame;
      const file = frame ? shortLocation(frame.url) : '';
      const match = stages.find((candidate) => candidate.file.test(file));
      if (match) stage = match.name;
    }
    totals.set(stage, (totals.get(stage) ?? 0) + ms);
  });
  return [...totals].map(([name, ms]) => ({ name, ms, share: busy > 0 ? ms / busy : 0 })).sort((a, b) => b.ms - a.ms);
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
  const files = process.argv.slice(2);
  if (files.length === 0 || files.includes('--help')) {
    process.stdout.write(
      'Usage: tsx tools/lib/bench/profile.ts <file.cpuprofile>...\nPrints the functions with the most self and inclusive CPU time.\n',
    );
  } else {
    for (const file of files) {
      const profile = readProfile(file);
      const stages = stageBreakdown(profile)
        .map((stage) => `  ${(stage.share * 100).toFixed(1).padStart(5)} %  ${stage.name}`)
        .join('\n');
      process.stdout.write(
        `== ${file}\n${formatProfileSummary(summarizeProfile(profile))}\nby pipeline stage (outermost frame):\n${stages}\n\n`,
      );
    }
  }
}
