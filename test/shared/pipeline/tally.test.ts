import { InMemoryTallyStore } from '../../support/memory';
import type { CountedChange } from '../../../shared/domain/tallies';
import type { Tally } from '../../../shared/domain/tallies';
import type { TallyStore } from '../../../shared/ports';
import { tallyChanges } from '../../../shared/pipeline/tally';
import { countedChange, talliesOf } from '../../support/aggregation';

const change = countedChange;

const run = (partition: string, from: number, to: number): CountedChange[] =>
  Array.from({ length: to - from + 1 }, (_, index) => change(partition, from + index));

/** Every detection the tallies count, per partition: what the aggregator would fold. */
function counted(tallies: readonly Tally[]): Record<string, number[]> {
  const ranges: Record<string, number[]> = {};
  for (const tally of [...tallies].sort((a, b) => a.firstSequence - b.firstSequence)) {
    (ranges[tally.partition] ??= []).push(tally.firstSequence, tally.lastSequence);
  }
  return ranges;
}

describe('tallyChanges', () => {
  it('writes one tally per partition of the batch', async () => {
    const tallies = new InMemoryTallyStore();
    const summary = await tallyChanges([...run('a', 1, 3), ...run('b', 5, 6)], { tallies });
    expect(summary).toEqual({ changes: 5, tallies: 2, tallied: 5, redelivered: 0, conflictsRetried: 0 });
    expect(talliesOf(tallies).map((tally) => [tally.id, tally.changes])).toEqual([
      ['a:1', 3],
      ['b:5', 2],
    ]);
  });

  it('tallies nothing again when the same batch is delivered twice', async () => {
    const tallies = new InMemoryTallyStore();
    await tallyChanges(run('a', 1, 3), { tallies });
    expect(await tallyChanges(run('a', 1, 3), { tallies })).toEqual({
      changes: 3,
      tallies: 0,
      tallied: 0,
      redelivered: 3,
      conflictsRetried: 0,
    });
    expect(tallies.feed()).toHaveLength(1);
  });

  it('tallies only the new part of a longer redelivery, under the next id, and nothing of a shorter one', async () => {
    const tallies = new InMemoryTallyStore();
    await tallyChanges(run('a', 1, 3), { tallies });
    expect(await tallyChanges(run('a', 1, 6), { tallies })).toMatchObject({ tallies: 1, tallied: 3, redelivered: 3 });
    expect(await tallyChanges(run('a', 1, 2), { tallies })).toMatchObject({ tallies: 0, tallied: 0, redelivered: 2 });
    expect(await tallyChanges(run('a', 1, 9), { tallies })).toMatchObject({ tallies: 1, tallied: 3, redelivered: 6 });
    expect(counted(talliesOf(tallies))).toEqual({ a: [1, 3, 4, 6, 7, 9] });
  });

  it('tallies only beyond the cursor when a batch starts inside an earlier tally', async () => {
    // A delivery of 1..6 failed after tallying this partition; the retry was shorter (1..2) and
    // succeeded, so the checkpoint moved to 2 and the next batch starts at 3, inside the tally.
    const tallies = new InMemoryTallyStore();
    await tallyChanges(run('a', 1, 6), { tallies });
    expect(await tallyChanges(run('a', 1, 2), { tallies })).toMatchObject({ tallied: 0, redelivered: 2 });
    expect(await tallyChanges(run('a', 3, 8), { tallies })).toMatchObject({ tallies: 1, tallied: 2, redelivered: 4 });
    expect(counted(talliesOf(tallies))).toEqual({ a: [1, 6, 7, 8] });
  });

  it('tallies each change once when two instances tally overlapping batches at once', async () => {
    const tallies = new InMemoryTallyStore();
    const summaries = await Promise.all([tallyChanges(run('a', 1, 4), { tallies }), tallyChanges(run('a', 1, 7), { tallies })]);
    expect(summaries.reduce((sum, summary) => sum + summary.tallied, 0)).toBe(7);
    expect(summaries.reduce((sum, summary) => sum + summary.conflictsRetried, 0)).toBe(1);
    const ranges = counted(talliesOf(tallies))['a'];
    expect(ranges?.[0]).toBe(1);
    expect(ranges?.at(-1)).toBe(7);
    // Contiguous and disjoint: each tally starts right after the one before.
    for (let index = 2; index < (ranges?.length ?? 0); index += 2) expect(ranges?.[index]).toBe((ranges?.[index - 1] ?? 0) + 1);
  });

  it('propagates a store fault after every partition has settled, so the batch is redelivered whole', async () => {
    const tallies = new InMemoryTallyStore();
    const creates: string[] = [];
    const flaky: TallyStore = {
      cursor: (partition) => tallies.cursor(partition),
      append: (tally, etag) => {
        creates.push(tally.id);
        if (tally.partition === 'b') return Promise.reject(new Error('simulated 503'));
        return tallies.append(tally, etag);
      },
    };
    await expect(tallyChanges([...run('a', 1, 2), ...run('b', 1, 2)], { tallies: flaky })).rejects.toThrow(/simulated 503/);
    expect(creates.sort()).toEqual(['a:1', 'b:1']);
    // The redelivery finds a's tally and tallies only b.
    expect(await tallyChanges([...run('a', 1, 2), ...run('b', 1, 2)], { tallies })).toMatchObject({
      tallies: 1,
      tallied: 2,
      redelivered: 2,
    });
  });

  it('handles an empty batch', async () => {
    expect(await tallyChanges([], { tallies: new InMemoryTallyStore() })).toEqual({
      changes: 0,
      tallies: 0,
      tallied: 0,
      redelivered: 0,
      conflictsRetried: 0,
    });
  });
});
