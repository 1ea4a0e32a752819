import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_HELP, main, parseRuntimeEnv } from '../../tools/bench';
import { CeilingLoop, measureCeiling } from '../../tools/lib/bench/ceiling';
import { compareWindow } from '../../tools/lib/bench/exactness';
import { type CpuProfile, cpuBudget, stageBreakdown, summarizeProfile } from '../../tools/lib/bench/profile';
import {
  type BenchResults,
  formatMarkdown,
  HISTORY_HEADER,
  historyLine,
  TARGETS,
  targetsMet,
  writeResults,
} from '../../tools/lib/bench/results';
import { cpuPerEvent, descendantsOf, readThreadCpu, readVmMb } from '../../tools/lib/proc';
import { parseRuntimeJson } from '../../tools/lib/runtime';
import { percentile, summarizeLatencies } from '../../tools/lib/bench/stats';
import { buildBodies, createGenerator, isProbeLocation, PROBE_LOCATION_BASE, probeEvent, withProbe } from '../../tools/lib/bench/workload';
import { formatHelp, optionsOrHelp, runTool, UsageError } from '../../tools/lib/cli';
import { DetectionGenerator } from '../../tools/lib/generator';

const temp: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  temp.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

const STREAM = {
  seed: 7,
  locations: 10,
  items: 8,
  skew: 1,
  duplicates: 0.1,
  late: 0.05,
  invalid: 0,
  largeIds: 0.1,
  idOrder: 'sequential' as const,
};

describe('percentiles (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it('picks the smallest sample with p % at or below it', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([10], 99)).toBe(10);
    expect(percentile([5, 1, 4, 2, 3], 1)).toBe(1);
  });

  it('does not depend on the order of the samples and has no answer for none', () => {
    expect(percentile([...hundred].reverse(), 95)).toBe(95);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile(hundred, 0)).toThrow(RangeError);
  });

  it('summarizes latencies with one decimal', () => {
    expect(summarizeLatencies([1.04, 2.06, 3, 400.55])).toEqual({ p50: 2.1, p95: 400.6, p99: 400.6, max: 400.6, samples: 4 });
    expect(summarizeLatencies([])).toEqual({ p50: null, p95: null, p99: null, max: null, samples: 0 });
  });
});

function sampleResults(overrides: Partial<BenchResults> = {}): BenchResults {
  const base = {
    throughput_eps: 120_000,
    ceiling_ratio: 0.4,
    latency_ms: { p50: 40, p95: 90, p99: 300, max: 410, samples: 300, rate_eps: 10_000, achieved_eps: 9_990 },
    rss_mb: 400,
  };
  return {
    timestamp: '2026-11-22T10:00:00.000Z',
    git_commit: 'abc1234',
    quick: false,
    machine: { cpus: 2, cpu_model: 'Test CPU', memory_gb: 4, node: 'v20.20.2', platform: 'linux x64', kernel: '6.1' },
    options: { events: 1_000_000, batch_size: 1000 },
    ...base,
    accept_eps: 150_000,
    drain_seconds: 1.5,
    events: 1_000_000,
    rss_children_mb: 80,
    ceiling_eps: 300_000,
    exact: true,
    exactness: {
      locations_checked: 100,
      windows_checked: 8,
      rows_checked: 9000,
      expected_stored: 950_000,
      stored: 950_000,
      expected_duplicates: 50_000,
      duplicates: 50_000,
      mismatch_count: 0,
      mismatches_by_window: {},
      mismatches: [],
      problems: [],
    },
    targets: TARGETS,
    met: targetsMet(base),
    ...overrides,
  };
}

describe('results', () => {
  it('judges the targets', () => {
    expect(
      targetsMet({
        throughput_eps: 45_000,
        ceiling_ratio: 0.23,
        latency_ms: { p50: 1, p95: 1, p99: 500, max: 1, samples: 1, rate_eps: 1, achieved_eps: 1 },
        rss_mb: 512,
      }),
    ).toEqual({
      throughput: true,
      ratio: true,
      p99: true,
      rss: true,
    });
    expect(
      targetsMet({
        throughput_eps: 44_999,
        ceiling_ratio: 0.229,
        latency_ms: { p50: null, p95: null, p99: null, max: null, samples: 0, rate_eps: 1, achieved_eps: 0 },
        rss_mb: null,
      }),
    ).toEqual({
      throughput: false,
      ratio: false,
      p99: false,
      rss: false,
    });
  });

  it('writes latest.json, latest.md and appends history.csv under one header', () => {
    const dir = path.join(tempDir(), 'results');
    const first = sampleResults();
    const files = writeResults(dir, first);
    const json = JSON.parse(readFileSync(files.json, 'utf8')) as BenchResults;
    for (const key of ['throughput_eps', 'latency_ms', 'rss_mb', 'ceiling_eps', 'exact'] as const) expect(json[key]).toEqual(first[key]);
    expect(json.latency_ms).toMatchObject({ p50: 40, p95: 90, p99: 300 });
    expect(readFileSync(files.markdown, 'utf8')).toContain('| sustained throughput, accepted → counted | 120,000 events/s |');

    writeResults(dir, sampleResults({ timestamp: '2026-11-22T11:00:00.000Z', exact: false }));
    const lines = readFileSync(files.history, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(HISTORY_HEADER);
    expect(lines[1]!.split(',')).toHaveLength(HISTORY_HEADER.split(',').length);
    expect(lines[2]).toContain('2026-11-22T11:00:00.000Z');
    expect(lines[2]!.split(',')[12]).toBe('false');
  });

  it('adds the header to an existing empty history file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'history.csv'), '');
    writeResults(dir, sampleResults());
    expect(readFileSync(path.join(dir, 'history.csv'), 'utf8').split('\n')[0]).toBe(HISTORY_HEADER);
  });

  it('keeps commas out of history cells', () => {
    expect(historyLine(sampleResults({ git_commit: 'a,b' })).split(',')).toHaveLength(HISTORY_HEADER.split(',').length);
  });

  it('marks missed targets and lists mismatches in the markdown', () => {
    const markdown = formatMarkdown(
      sampleResults({
        throughput_eps: 7000,
        met: { throughput: false, ratio: false, p99: true, rss: true },
        exact: false,
        exactness: {
          ...sampleResults().exactness,
          problems: ['lost 1'],
          mismatches: [{ location: '3', window: 'all', item: 'car', expected: 5, actual: 4 }],
        },
      }),
    );
    expect(markdown).toContain('≥ 45,000 events/s: **missed**');
    expect(markdown).toContain('| exact counts | **NO**');
    expect(markdown).toContain('location 3, all, "car": expected 5, got 4');
  });
});

describe('command line', () => {
  it('explains every option under --help', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--help'])).toBe(0);
      const text = write.mock.calls.map((call) => String(call[0])).join('');
      expect(text).toBe(formatHelp(BENCH_HELP));
      for (const option of ['--quick', '--events', '--latency-rate', '--profile', '--runtime-env']) expect(text).toContain(option);
    } finally {
      write.mockRestore();
    }
  });

  it('exits 2 on a usage error', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--events', 'many'])).toBe(2);
      expect(await main(['--runtime-env', 'PARTITIONS'])).toBe(2);
    } finally {
      write.mockRestore();
    }
  });

  it('reads runtime settings', () => {
    expect(parseRuntimeEnv('PARTITIONS=8, INGEST_BATCH_SIZE=4000')).toEqual({ PARTITIONS: '8', INGEST_BATCH_SIZE: '4000' });
    expect(parseRuntimeEnv(undefined)).toEqual({});
  });
});

describe('runtime process helpers', () => {
  it('reads the URL and pid the runtime announces in runtime.json', () => {
    expect(parseRuntimeJson('{"url":"http://127.0.0.1:4321/","pid":12,"azuritePid":null}')).toEqual({
      url: 'http://127.0.0.1:4321',
      pid: 12,
      azuritePid: null,
    });
    // Without a pid the launcher could not tell whether this runtime is the one it started.
    expect(parseRuntimeJson('{"url":"http://127.0.0.1:4321"}')).toBeNull();
    expect(parseRuntimeJson('{"pid":1}')).toBeNull();
    expect(parseRuntimeJson('{not json')).toBeNull();
  });

  it('reads peak and current RSS and the process tree from /proc', () => {
    const proc = tempDir();
    const processDir = (pid: number, rssKb: number, children: number[]) => {
      mkdirSync(path.join(proc, String(pid), 'task', String(pid)), { recursive: true });
      writeFileSync(path.join(proc, String(pid), 'status'), `Name:\tnode\nVmHWM:\t  ${rssKb * 2} kB\nVmRSS:\t  ${rssKb} kB\n`);
      writeFileSync(path.join(proc, String(pid), 'task', String(pid), 'children'), children.join(' '));
    };
    processDir(10, 102_400, [11]);
    processDir(11, 51_200, [12]);
    processDir(12, 1024, []);
    expect(readVmMb(10, 'VmHWM', proc)).toBe(200);
    expect(readVmMb(10, 'VmRSS', proc)).toBe(100);
    expect(readVmMb(99, 'VmRSS', proc)).toBeNull();
    expect(descendantsOf(10, proc)).toEqual([11, 12]);
  });

  it('reads CPU time per thread, the main thread apart, and turns two readings into µs per event', () => {
    const proc = tempDir();
    // /proc/<pid>/task/<tid>/stat: utime and stime are fields 14 and 15, in clock ticks (1/100 s).
    const thread = (tid: number, comm: string, utime: number, stime: number) => {
      mkdirSync(path.join(proc, '20', 'task', String(tid)), { recursive: true });
      const after = ['S', '1', ...Array.from({ length: 9 }, () => '0'), String(utime), String(stime), '0', '0'];
      writeFileSync(path.join(proc, '20', 'task', String(tid), 'stat'), `${tid} (${comm}) ${after.join(' ')}\n`);
    };
    thread(20, 'node', 300, 100);
    thread(21, 'node', 50, 0);
    thread(22, 'node', 25, 25);
    thread(23, 'libuv-worker', 10, 30);
    const before = readThreadCpu(20, proc);
    expect(before).toEqual(
      new Map([
        ['main', 4],
        ['other node threads', 1],
        ['libuv-worker', 0.4],
      ]),
    );
    thread(20, 'node', 500, 200);
    expect(cpuPerEvent(before, readThreadCpu(20, proc), 10_000)).toEqual([
      ['main', 300],
      // A thread whose CPU did not move is left out.
    ]);
    expect(readThreadCpu(99, proc)).toEqual(new Map());
  });

  it('reads VmHWM of this very process', () => {
    expect(readVmMb(process.pid, 'VmHWM')).toBeGreaterThan(10);
  });
});

describe('workload', () => {
  it('builds bodies of the batch size whose events add up, and waits only for bodies holding a conflict original', () => {
    const generator = createGenerator({ ...STREAM, duplicates: 0.3 });
    const bodies = buildBodies(generator, 2050, 100);
    expect(bodies.map((body) => body.events)).toEqual([...Array.from({ length: 20 }, () => 100), 50]);
    for (const body of bodies) expect((JSON.parse(body.text) as unknown[]).length).toBe(body.events);
    expect(generator.truth.totals.emitted).toBe(2050);
    bodies.forEach((body, index) => body.after.forEach((dependency) => expect(dependency).toBeLessThan(index)));
    expect(bodies.some((body) => body.after.length > 0)).toBe(true);
    // Without conflicts no body ever needs to wait.
    const plain = buildBodies(new DetectionGenerator({ seed: 1, now: () => 1_763_800_000_000, duplicates: 0.3, conflicts: 0 }), 1000, 100);
    expect(plain.every((body) => body.after.length === 0)).toBe(true);
  });

  it('names in `after` the very body that holds the original of each conflicting copy', () => {
    const generator = createGenerator({ ...STREAM, duplicates: 0.3 });
    const bodies = buildBodies(generator, 3000, 100);
    const firstSeen = new Map<string, { body: number; facts: string }>();
    let conflicts = 0;
    bodies.forEach((body, index) => {
      for (const event of JSON.parse(body.text) as Record<string, unknown>[]) {
        const oid = String(event['detection_oid']);
        const facts = `${String(event['geographical_location_oid'])}|${String(event['item_name'])}`;
        const first = firstSeen.get(oid);
        if (!first) {
          firstSeen.set(oid, { body: index, facts });
        } else if (first.facts !== facts && first.body < index) {
          conflicts += 1;
          expect(body.after).toContain(first.body);
        }
      }
    });
    expect(conflicts).toBeGreaterThan(10);
  });

  it('puts a probe first in a body, on a location of its own', () => {
    const probe = probeEvent(3, 1_763_800_000_000);
    expect(probe.locationOid).toBe(String(PROBE_LOCATION_BASE + 3));
    expect(isProbeLocation(probe.locationOid)).toBe(true);
    expect(isProbeLocation('42')).toBe(false);
    const events = JSON.parse(withProbe('[{"a":1}, {"b":2}]', probe)) as Record<string, unknown>[];
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual(probe.event);
    expect(events[1]).toEqual({ a: 1 });
    expect(JSON.parse(withProbe('[ ]', probe))).toEqual([probe.event]);
    expect(probe.event['detection_oid']).toBe('7000000000000000003');
  });
});

describe('the in-memory ceiling', () => {
  it('counts exactly what the generator says, with duplicates and invalid events left out', () => {
    const generator = createGenerator({ ...STREAM, invalid: 0.05 });
    const bodies = buildBodies(generator, 5000, 250);
    let next = 0;
    const { result, loop } = measureCeiling(() => bodies[next++]?.text, 4);
    const totals = generator.truth.totals;
    expect(result.received).toBe(5000);
    expect(result.distinct).toBe(totals.distinct);
    expect(result.duplicates).toBe(totals.duplicates);
    expect(result.invalid).toBe(totals.invalid);
    expect(result.eventsPerSecond).toBeGreaterThan(0);
    // The loop counts each distinct detection once, with the first copy's item.
    for (const location of generator.truth.locations()) expect(loop.allTime(location)).toEqual(generator.truth.counts(location));
  });

  it('rejects a malformed body as invalid rows, not a crash', () => {
    const loop = new CeilingLoop();
    loop.process('[{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":3,"item_name":"car","timestamp_detected":1}, 5]');
    expect(loop.totals()).toEqual({ received: 2, distinct: 1, duplicates: 0, invalid: 1 });
  });
});

describe('exactness', () => {
  function truthOf(): DetectionGenerator {
    const generator = createGenerator(STREAM);
    generator.batch(3000);
    return generator;
  }
  const rowsFrom = (generator: DetectionGenerator, hours?: string[]) =>
    generator.truth.locations().flatMap((location) =>
      generator.truth.top(location, 1000, hours).map((entry, index) => ({
        geographical_location_oid: location,
        item_rank: index + 1,
        item_name: entry.item,
        item_count: entry.count,
      })),
    );

  it('accepts rows that equal the truth and ignores probe locations', () => {
    const generator = truthOf();
    const rows = [
      ...rowsFrom(generator),
      { geographical_location_oid: String(PROBE_LOCATION_BASE), item_rank: 1, item_name: 'probe-0', item_count: 1 },
    ];
    const check = compareWindow(rows, generator.truth, 'all');
    expect(check.mismatches).toEqual([]);
    expect(check.problems).toEqual([]);
    expect(check.locations).toBe(generator.truth.locations().length);
    const hour = generator.truth.hours()[0]!;
    expect(compareWindow(rowsFrom(generator, [hour]), generator.truth, `hour:${hour}`, [hour]).mismatches).toEqual([]);
  });

  it('finds a count off by one, a missing item, an extra item and a foreign location', () => {
    const generator = truthOf();
    const rows = rowsFrom(generator);
    const [first, second] = rows;
    const changed = [{ ...first!, item_count: first!.item_count + 1 }, ...rows.slice(2), { ...second!, item_name: 'ghost', item_rank: 99 }];
    changed.push({ geographical_location_oid: '77777', item_rank: 1, item_name: 'car', item_count: 1 });
    const check = compareWindow(changed, generator.truth, 'all');
    expect(check.mismatches).toEqual(
      expect.arrayContaining([
        {
          location: first!.geographical_location_oid,
          window: 'all',
          item: first!.item_name,
          expected: first!.item_count,
          actual: first!.item_count + 1,
        },
        { location: second!.geographical_location_oid, window: 'all', item: second!.item_name, expected: second!.item_count, actual: 0 },
        { location: second!.geographical_location_oid, window: 'all', item: 'ghost', expected: 0, actual: second!.item_count },
      ]),
    );
    expect(check.problems.some((problem) => problem.includes('77777'))).toBe(true);
  });

  it('notices a wrong rank order even when every count is right', () => {
    const generator = truthOf();
    const location = generator.truth.locations()[0]!;
    const rows = rowsFrom(generator).filter((row) => row.geographical_location_oid === location);
    const swapped = rows.map((row, index) => ({ ...row, item_rank: index === 0 ? 2 : index === 1 ? 1 : row.item_rank }));
    const others = rowsFrom(generator).filter((row) => row.geographical_location_oid !== location);
    expect(compareWindow([...swapped, ...others], generator.truth, 'all').problems.some((problem) => problem.includes('ranks'))).toBe(true);
  });
});

describe('profile summary', () => {
  it('attributes self and inclusive time to functions', () => {
    const frame = (functionName: string) => ({ functionName, url: 'file:///x/node_modules/pkg/index.js', lineNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4] },
        { id: 2, callFrame: frame('outer'), children: [3] },
        { id: 3, callFrame: frame('inner') },
        { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      ],
      samples: [3, 3, 2, 4],
      timeDeltas: [1000, 1000, 2000, 4000],
      startTime: 0,
      endTime: 8000,
    };
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(8);
    expect(summary.idleMs).toBe(4);
    const self = Object.fromEntries(summary.bySelf.map((entry) => [entry.name, entry.selfMs]));
    expect(self['inner (pkg/index.js)']).toBe(2);
    expect(self['outer (pkg/index.js)']).toBe(2);
    const total = Object.fromEntries(summary.byTotal.map((entry) => [entry.name, entry.totalShare]));
    expect(total['outer (pkg/index.js)']).toBe(1);
    expect(total['inner (pkg/index.js)']).toBe(0.5);
  });

  /** The pipeline's ingest stage calling the dedup store, which calls the SQLite driver. */
  const pipelineProfile = (): CpuProfile => {
    const at = (functionName: string, file: string) => ({ functionName, url: `file:///work/app/${file}`, lineNumber: 0 });
    return {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 6, 7] },
        { id: 2, callFrame: at('ingestBatch', 'shared/pipeline/ingest.ts'), children: [3] },
        { id: 3, callFrame: at('createMany', 'local/store/dedupStore.ts'), children: [4] },
        { id: 4, callFrame: at('run', 'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.js'), children: [5] },
        { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
        { id: 6, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 7, callFrame: at('exec', 'node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.js') },
      ],
      // µs: 3 ms in the driver under createMany, 1 ms in ingestBatch itself, 1 ms GC, 2 ms a bare COMMIT, 5 ms idle.
      samples: [4, 4, 4, 2, 5, 7, 7, 6],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 5000],
      startTime: 0,
      endTime: 13000,
    };
  };

  it('gives the CPU per event by component, the store before the stage that called it', () => {
    const budget = cpuBudget(pipelineProfile(), 100);
    expect(budget.busyMs).toBe(7);
    expect(budget.perEventUs).toBe(70);
    const perEvent = Object.fromEntries(budget.components.map((component) => [component.name, component.perEventUs]));
    expect(perEvent).toEqual({
      'dedup store: create-only insert': 30,
      'SQLite, the rest: BEGIN/COMMIT, WAL, checkpoints': 20,
      'ingest, tally, aggregate: the pure code': 10,
      'garbage collector': 10,
    });
  });

  it('gives each stage the samples under its outermost frame, collections inside a stage included', () => {
    const shares = Object.fromEntries(stageBreakdown(pipelineProfile()).map((stage) => [stage.name, stage.ms]));
    expect(shares).toEqual({
      'ingest (decode, validate, dedup create)': 5,
      'SQLite outside the stages (commits, change feed, checkpoints)': 2,
    });
  });
});

describe('small tools (tools/lib/cli)', () => {
  const specs = [{ name: 'events', kind: 'integer', min: 1, placeholder: '<n>', default: 10, description: 'How many.' }] as const;
  const help = { usage: 'tsx tool.ts [options]', summary: 'Does one thing.' };

  it('parses options, or prints the help and answers nothing for --help', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(optionsOrHelp(['--events', '3'], specs, help)?.number('events')).toBe(3);
      expect(log).not.toHaveBeenCalled();
      expect(optionsOrHelp(['--help'], specs, help)).toBeUndefined();
      expect(String(log.mock.calls[0]?.[0])).toMatch(/Usage: tsx tool\.ts \[options\][\s\S]*Does one thing\.[\s\S]*--events <n>/);
    } finally {
      log.mockRestore();
    }
  });

  it('exits 2 for a usage error and 1 for any other failure, with the message', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const exitCode = process.exitCode;
    try {
      runTool(() => Promise.reject(new UsageError('--events must be a whole number')));
      await new Promise((resolve) => setImmediate(resolve));
      expect(process.exitCode).toBe(2);
      runTool(() => Promise.reject(new Error('disk full')));
      await new Promise((resolve) => setImmediate(resolve));
      expect(process.exitCode).toBe(1);
      expect(error.mock.calls.map((call): unknown => call[0])).toEqual(['--events must be a whole number', 'disk full']);
    } finally {
      process.exitCode = exitCode;
      error.mockRestore();
    }
  });
});
