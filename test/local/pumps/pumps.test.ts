import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, EventLogMirror, type PartitionState } from '../../../local/eventlog';
import { createLogger } from '../../../local/log';
import { LogConsumer, type LogBatch } from '../../../local/pumps/logConsumer';
import { type LocalStore, openLocalStore } from '../../../local/store';
import { until } from '../../support/eventually';

jest.setTimeout(30_000);

let workspace: string;
let store: LocalStore;
let log: EventLog;
const quiet = createLogger('error');

beforeEach(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'pumps-'));
  store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 3600, dedupPartitions: 64 });
  log = (await EventLog.open({ dir: join(workspace, 'log'), partitions: 2 })).log;
});

afterEach(async () => {
  await log.close();
  await store.close();
  rmSync(workspace, { recursive: true, force: true });
});

function consumer(handle: (batch: LogBatch) => Promise<void>, batchSize = 3): LogConsumer {
  return new LogConsumer({
    name: 'test',
    log,
    database: store.database,
    checkpoints: store.checkpoints,
    batchSize,
    logger: quiet,
    handle,
    idlePollMs: 20,
  });
}

describe('LogConsumer', () => {
  it('hands every record over once, in order per partition, with the checkpoint in the same transaction', async () => {
    for (let index = 0; index < 10; index += 1) await log.append([{ key: String(index % 5), body: Buffer.from(String(index)) }]);
    const seen: string[][] = [[], []];
    const pump = consumer(async (batch) => {
      seen[batch.partition]!.push(...batch.records.map((record) => record.body.toString()));
      // Whatever the handler writes commits or rolls back with the checkpoint.
      await store.metrics.add({ stored: batch.records.length });
    });
    pump.start();
    await until(() => pump.backlog() === 0);
    await pump.stop();

    expect([...seen[0]!, ...seen[1]!].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 10 }, (_, index) => String(index)),
    );
    for (const partition of [0, 1]) expect(seen[partition]).toEqual([...seen[partition]!].sort((a, b) => Number(a) - Number(b)));
    expect((await store.metrics.read()).stored).toBe(10);
    expect(await store.checkpoints.get('eventlog/test/0')).toBe(log.endSequence(0));
    expect(await store.checkpoints.get('eventlog/test/1')).toBe(log.endSequence(1));
  });

  it('takes the durable notices waiting for its thread before a read, so one batch holds every acknowledged record', async () => {
    // Notices posted to a busy thread wait undelivered, as a worker's messages do while its pumps keep it busy.
    const undelivered: { partition: number; tail: PartitionState }[][] = [];
    const mirror: EventLogMirror = new EventLogMirror(log.state(), undefined, () => {
      for (const notice of undelivered.splice(0)) mirror.advance(notice);
    });
    log.onDurable((partitions) => undelivered.push(partitions.map((partition) => ({ partition, tail: log.tail(partition) }))));
    for (let index = 0; index < 10; index += 2)
      await log.append([0, 1].map((offset) => ({ key: '1', body: Buffer.from(String(index + offset)) })));
    expect(mirror.endSequence(log.partitionOf('1'))).toBe(0);
    const batches: string[][] = [];
    const pump = new LogConsumer({
      name: 'test',
      log: mirror,
      database: store.database,
      checkpoints: store.checkpoints,
      batchSize: 100,
      logger: quiet,
      handle: (batch) => Promise.resolve(void batches.push(batch.records.map((record) => record.body.toString()))),
      idlePollMs: 20,
    });
    pump.start();
    await until(() => batches.flat().length === 10);
    await pump.stop();

    expect(batches).toEqual([Array.from({ length: 10 }, (_, index) => String(index))]);
    expect(undelivered).toEqual([]);
  });

  it('retries a failing batch without skipping it, and its failed attempts leave no trace', async () => {
    await log.append(Array.from({ length: 6 }, (_, index) => ({ key: '1', body: Buffer.from(String(index)) })));
    const partition = log.partitionOf('1');
    let failuresLeft = 3;
    const delivered: string[] = [];
    const pump = consumer(async (batch) => {
      await store.metrics.add({ stored: batch.records.length });
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('storage unavailable');
      }
      delivered.push(...batch.records.map((record) => record.body.toString()));
    });
    pump.start();
    await until(() => pump.backlog() === 0);
    await pump.stop();

    expect(delivered).toEqual(['0', '1', '2', '3', '4', '5']);
    expect((await store.metrics.read()).stored).toBe(6);
    expect(pump.position(partition)).toBe(6);
  });

  it('resumes from its checkpoint after a restart', async () => {
    await log.append(Array.from({ length: 4 }, (_, index) => ({ key: '1', body: Buffer.from(`a${index}`) })));
    const first: string[] = [];
    const pumpA = consumer((batch) => {
      first.push(...batch.records.map((record) => record.body.toString()));
      return Promise.resolve();
    });
    pumpA.start();
    await until(() => pumpA.backlog() === 0);
    await pumpA.stop();

    await log.append([{ key: '1', body: Buffer.from('b0') }]);
    const second: string[] = [];
    const pumpB = consumer((batch) => {
      second.push(...batch.records.map((record) => record.body.toString()));
      return Promise.resolve();
    });
    pumpB.start();
    await until(() => pumpB.backlog() === 0);
    await pumpB.stop();

    expect(first).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(second).toEqual(['b0']);
  });
});
