/**
 * Microbenchmark of the local dedup store alone: `SqliteDedupStore.createMany` (the create-only insert
 * of each record, which is also its change) in transactions of `--batch` events while the table
 * grows, with a figure per `--report-every` events. It isolates the cost that bounds the local runtime's ingest (see
 * docs/performance.md), without HTTP, the event log or the aggregator.
 *
 *   npx tsx tools/lib/bench/dedupMicro.ts                    # 1.5M random 64-bit ids, 10,000 per transaction
 *   npx tsx tools/lib/bench/dedupMicro.ts --ids sequential   # ids counting up, as the bench's generator makes them
 *
 * Like the runtime, it checkpoints the WAL between reports (the maintenance timer's work); that time
 * is counted in the figure of the interval it ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openLocalStore } from '../../../local/store';
import { formatCount, type OptionSpec, optionsOrHelp, runTool } from '../cli';
import { dedupRecordSource, idPattern } from './dedupRecords';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'events', kind: 'integer', min: 10_000, placeholder: '<n>', default: 1_500_000, description: 'Events to store in all.' },
  { name: 'batch', kind: 'integer', min: 1, placeholder: '<n>', default: 10_000, description: 'Events per createMany (one transaction).' },
  { name: 'duplicates', kind: 'fraction', placeholder: '<0..1>', default: 0.05, description: 'Share of events that repeat a recent id.' },
  { name: 'report-every', kind: 'integer', min: 1, placeholder: '<n>', default: 100_000, description: 'Events per printed figure.' },
  { name: 'ids', kind: 'string', placeholder: 'random|sequential', default: 'random', description: 'How detection ids are drawn.' },
  { name: 'partitions', kind: 'integer', min: 1, placeholder: '<n>', default: 64, description: 'DEDUP_PARTITIONS.' },
];

async function main(): Promise<void> {
  const options = optionsOrHelp(process.argv.slice(2), OPTIONS, {
    usage: 'tsx tools/lib/bench/dedupMicro.ts [options]',
    summary: 'Measures µs per event of the local dedup store as its table grows.',
  });
  if (!options) return;
  const total = options.number('events');
  const batchSize = options.number('batch');
  const duplicateShare = options.number('duplicates');
  const reportEvery = options.number('report-every');
  const partitions = options.number('partitions');
  const idKind = idPattern(options.string('ids'));

  const workspace = mkdtempSync(join(tmpdir(), 'dedup-micro-'));
  const store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 3600, dedupPartitions: partitions });
  const makeRecord = dedupRecordSource({ ids: idKind, duplicateShare, partitions });

  console.log(
    `dedup store: ${formatCount(total)} events, ${idKind} ids, ${formatCount(batchSize)} per transaction, ${duplicateShare * 100} % duplicates`,
  );
  // CPU time beside wall time: the machine is shared, and CPU time is the steadier of the two.
  console.log('stored ids   µs/event: wall (interval)   CPU (interval)   wall (so far)   CPU (so far)   slowest transaction (ms)');
  let done = 0;
  let created = 0;
  let busyMs = 0;
  let intervalMs = 0;
  let cpuMs = 0;
  let intervalCpuMs = 0;
  /** The slowest transaction of the interval. */
  let slowestMs = 0;
  try {
    while (done < total) {
      const batch = Array.from({ length: Math.min(batchSize, total - done) }, makeRecord);
      const started = performance.now();
      const startedCpu = process.cpuUsage();
      const outcomes = await store.dedup.createMany(batch);
      const boundary = Math.floor((done + batch.length) / reportEvery) > Math.floor(done / reportEvery) || done + batch.length === total;
      if (boundary) {
        await store.database.checkpointWal();
      }
      const elapsed = performance.now() - started;
      slowestMs = Math.max(slowestMs, elapsed);
      const cpu = process.cpuUsage(startedCpu);
      busyMs += elapsed;
      intervalMs += elapsed;
      cpuMs += (cpu.user + cpu.system) / 1000;
      intervalCpuMs += (cpu.user + cpu.system) / 1000;
      done += batch.length;
      created += outcomes.filter((outcome) => outcome.status === 'created').length;
      if (boundary) {
        const perEvent = (ms: number, events: number): string => ((ms * 1000) / events).toFixed(2).padStart(8);
        const intervalEvents = done % reportEvery === 0 ? reportEvery : done % reportEvery;
        console.log(
          `${formatCount(created).padStart(10)}   ${perEvent(intervalMs, intervalEvents)}            ${perEvent(intervalCpuMs, intervalEvents)}         ${perEvent(busyMs, done)}        ${perEvent(cpuMs, done)}     ${slowestMs.toFixed(0).padStart(8)}`,
        );
        intervalMs = 0;
        intervalCpuMs = 0;
        slowestMs = 0;
      }
    }
    console.log(
      `${formatCount(done)} events in ${(busyMs / 1000).toFixed(1)} s (CPU ${(cpuMs / 1000).toFixed(1)} s): ${formatCount(Math.round((done / busyMs) * 1000))} events/s`,
    );
  } finally {
    await store.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

runTool(main);
