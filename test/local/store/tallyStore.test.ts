import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStore, openLocalStore } from '../../../local/store';
import { tallyOf } from '../../../shared/domain/tallies';
import { countedChange } from '../../support/aggregation';

let workspace: string;
let store: LocalStore | undefined;

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'tally-store-'));
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(workspace, { recursive: true, force: true });
});

const open = (): LocalStore => (store = openLocalStore(join(workspace, 'store.sqlite'), { dedupTtlSeconds: 3600, dedupPartitions: 64 }));
const run = (partition: string, from: number, to: number) =>
  tallyOf(Array.from({ length: to - from + 1 }, (_, index) => countedChange(partition, from + index)));

describe('SqliteTallyStore as the tally feed', () => {
  it('serves committed tallies in order, counts the detections not yet folded, and forgets folded ones, across a reopen', async () => {
    const first = open();
    let tallies = first.tallies;
    const database = first.database;
    await database.unit(async () => {
      await tallies.append(run('1', 1, 3), null);
      await tallies.append(run('2', 4, 4), null);
    });
    expect(tallies.head()).toBe(2);
    expect((await tallies.readAfter(0, 10)).map((document) => [document._lsn, document.id, document.pk, document.changes])).toEqual([
      [1, '1:1', '1', 3],
      [2, '2:4', '2', 1],
    ]);
    expect(tallies.changesAfter(0)).toBe(4);
    expect(tallies.changesAfter(1)).toBe(1);

    expect(await tallies.purgeThrough(1)).toBe(1);
    expect((await tallies.readAfter(0, 10)).map((document) => document._lsn)).toEqual([2]);
    expect(tallies.changesAfter(0)).toBe(1);

    await store?.close();
    ({ tallies } = open());
    expect(tallies.head()).toBe(2);
    expect(tallies.changesAfter(0)).toBe(1);
    expect((await tallies.cursor('1')).lastSequence).toBe(3);
  });

  it('counts nothing of a unit that rolled back', async () => {
    const { tallies, database } = open();
    await expect(
      database.unit(async () => {
        await tallies.append(run('1', 1, 3), null);
        throw new Error('the handler failed after the append');
      }),
    ).rejects.toThrow(/handler failed/);
    expect(tallies.head()).toBe(0);
    expect(tallies.changesAfter(0)).toBe(0);
    expect(await tallies.cursor('1')).toEqual({ lastSequence: null, etag: null });
  });
});
