import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DedupRecord } from '../../../shared/ports';
import { dedupRecord } from '../../support/dedupRecord';
import { createLogger } from '../../../local/log';
import { FeedPump } from '../../../local/pumps/feedPump';
import { type ChangeDocument, type LocalStore, openLocalStore } from '../../../local/store';
import { until } from '../../support/eventually';

jest.setTimeout(30_000);

let workspace: string;
let store: LocalStore;
let pump: FeedPump | undefined;
const CHECKPOINT = 'changes/test';
const quiet = createLogger('error');

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'change-pump-'));
  store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 3600, dedupPartitions: 64 });
});

afterEach(async () => {
  await pump?.stop();
  pump = undefined;
  await store.close();
  rmSync(workspace, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function records(ids: string[]): DedupRecord[] {
  return ids.map((id) => dedupRecord(id));
}

/** Stores detections as the ingest pump does, then wakes the pump as its after-commit hook does. */
async function storeDetections(ids: string[]): Promise<void> {
  await store.dedup.createMany(records(ids));
  pump?.wake();
}

let commits = 0;

function startPump(options: { batchSize: number; lingerMs: number }): ChangeDocument[][] {
  commits = 0;
  const batches: ChangeDocument[][] = [];
  pump = new FeedPump({
    functionName: 'tally',
    source: store.changeFeed,
    database: store.database,
    checkpoints: store.checkpoints,
    checkpoint: CHECKPOINT,
    batchSize: options.batchSize,
    lingerMs: options.lingerMs,
    logger: quiet,
    idlePollMs: 20,
    handler: (documents) => {
      batches.push(documents as ChangeDocument[]);
      return Promise.resolve();
    },
    afterCommit: () => (commits += 1),
  });
  pump.start();
  return batches;
}

describe('FeedPump', () => {
  it('lets a partial batch wait out the linger, and folds at once when a full batch is waiting', async () => {
    const batches = startPump({ batchSize: 5, lingerMs: 60_000 });
    await storeDetections(['1', '2', '3']);
    // Well within the minute of linger: nothing is folded yet.
    await sleep(300);
    expect(batches).toEqual([]);
    expect(pump?.backlog()).toBe(3);

    await storeDetections(['4', '5']);
    await until(() => batches.length === 1);
    expect(batches[0]?.map((document) => document.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(pump?.position()).toBe(5);
    expect(await store.checkpoints.get(CHECKPOINT)).toBe(5);
    // The next stage is told once the batch and its checkpoint are committed.
    expect(commits).toBe(1);
  });

  it('folds a partial batch once the linger is over, all of it in one batch', async () => {
    const batches = startPump({ batchSize: 1_000, lingerMs: 100 });
    await storeDetections(['1', '2']);
    await storeDetections(['3']);
    await until(() => pump?.backlog() === 0);
    expect(batches.flat().map((document) => document.id)).toEqual(['1', '2', '3']);
    expect(batches.length).toBeLessThanOrEqual(2);
  });

  it('folds as soon as anything is stored when the linger is 0', async () => {
    const batches = startPump({ batchSize: 1_000, lingerMs: 0 });
    await storeDetections(['1']);
    await until(() => batches.length === 1);
    expect(batches[0]?.map((document) => document.id)).toEqual(['1']);
  });

  it('stops at once while lingering, leaving the waiting changes for the next start', async () => {
    const batches = startPump({ batchSize: 5, lingerMs: 60_000 });
    await storeDetections(['1', '2']);
    await sleep(50);
    await pump?.stop();
    expect(batches).toEqual([]);
    expect(await store.checkpoints.get(CHECKPOINT)).toBeUndefined();

    const next = startPump({ batchSize: 5, lingerMs: 0 });
    await until(() => next.length === 1);
    expect(next[0]?.map((document) => document.id)).toEqual(['1', '2']);
  });

  it('reads past the lsns that duplicates used up, and ends with no backlog, also after a restart', async () => {
    const batches = startPump({ batchSize: 1_000, lingerMs: 0 });
    // The copies of '1' and '2' store nothing but use up lsns: the head runs ahead of the last change.
    await storeDetections(['1', '2', '1', '2']);
    await until(() => pump?.backlog() === 0);
    expect(store.dedup.head()).toBe(2);
    await storeDetections(['3', '1']);
    await until(() => pump?.backlog() === 0);
    expect(batches.flat().map((document) => [document.id, document._lsn])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 5],
    ]);
    await pump?.stop();

    // After a restart the head is SQLite's sequence (6, the last copy's), beyond the checkpoint (5).
    await store.close();
    store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 3600, dedupPartitions: 64 });
    expect(store.dedup.head()).toBe(6);
    const next = startPump({ batchSize: 1_000, lingerMs: 0 });
    await until(() => pump?.backlog() === 0);
    await storeDetections(['4']);
    await until(() => next.length === 1);
    expect(next[0]?.map((document) => [document.id, document._lsn])).toEqual([['4', 7]]);
    await until(() => pump?.backlog() === 0);
  });
});
