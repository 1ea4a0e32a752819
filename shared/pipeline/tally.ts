import type { CountedChange } from '../domain/tallies';
import { changesAfter, runsByPartition, tallyOf } from '../domain/tallies';
import type { TallyStore } from '../ports';

export interface TallyDeps {
  readonly tallies: TallyStore;
}

export interface TallySummary {
  readonly changes: number;
  /** Tallies created by this call. */
  readonly tallies: number;
  /** Changes newly tallied. */
  readonly tallied: number;
  /** Changes an earlier delivery had already tallied. */
  readonly redelivered: number;
  /** Appends refused because another writer moved a partition's cursor first. */
  readonly conflictsRetried: number;
}

const MAX_ATTEMPTS = 20;

/**
 * Stage one of aggregation: sums a change-feed batch of the dedup store into one tally per dedup
 * partition. Each partition has a cursor, the last sequence tallied, moved atomically with each
 * tally and only from the value it was read at: a change at or below the cursor is never tallied
 * again, whatever the boundaries of a redelivered batch and however many instances race on it.
 */
export async function tallyChanges(changes: readonly CountedChange[], deps: TallyDeps): Promise<TallySummary> {
  let tallies = 0;
  let tallied = 0;
  let redelivered = 0;
  let conflictsRetried = 0;

  const tallyRun = async (partition: string, run: readonly CountedChange[]): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`partition ${partition}: its tally cursor kept moving under us after ${MAX_ATTEMPTS} attempts`);
      const cursor = await deps.tallies.cursor(partition);
      const pending = cursor.lastSequence === null ? run : changesAfter(run, cursor.lastSequence);
      if (pending.length === 0) {
        redelivered += run.length;
        return;
      }
      const tally = tallyOf(pending);
      if (await deps.tallies.append(tally, cursor.etag)) {
        tallies += 1;
        tallied += tally.changes;
        redelivered += run.length - pending.length;
        return;
      }
      conflictsRetried += 1;
    }
  };

  const results = await Promise.allSettled([...runsByPartition(changes)].map(([partition, run]) => tallyRun(partition, run)));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return { changes: changes.length, tallies, tallied, redelivered, conflictsRetried };
}
