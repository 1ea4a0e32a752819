import { type CountedChange, type CounterWindow, emptyCounter, foldChanges, groupByCounter, rowsOfCounter } from '../domain/counters';
import type { Int64 } from '../domain/ids';
import type { Clock, CounterStore } from '../ports';

export interface AggregateDeps {
  readonly counters: CounterStore;
  readonly clock: Clock;
  readonly materializedTop: number;
  /** How many locations are committed at once. */
  readonly concurrency?: number;
}

export interface AggregateSummary {
  readonly changes: number;
  /** Changes newly folded into the all-time counters (each distinct detection once). */
  readonly counted: number;
  /** Changes skipped because an earlier delivery already folded them. */
  readonly redelivered: number;
  readonly conflictsRetried: number;
}

const MAX_ATTEMPTS = 20;

/**
 * The aggregate use-case: fold a batch of change-feed records into the per-location counters. Each
 * counter carries a watermark per dedup partition, and each write is conditional on the etag it was
 * computed from, so redelivered, overlapping and concurrent batches leave every count exact.
 */
export async function applyChanges(changes: readonly CountedChange[], deps: AggregateDeps): Promise<AggregateSummary> {
  const grouped = groupByCounter(changes);
  let counted = 0;
  let redelivered = 0;
  let conflictsRetried = 0;

  const commitLocation = async (locationOid: Int64, windows: Map<CounterWindow, CountedChange[]>): Promise<void> => {
    let pending = new Map(windows);
    for (let attempt = 1; pending.size > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`location ${locationOid}: counters kept changing under us after ${MAX_ATTEMPTS} attempts`);
      const stored = await deps.counters.read(locationOid, [...pending.keys()]);
      const lost = new Map<CounterWindow, CountedChange[]>();
      for (const [window, windowChanges] of pending) {
        const current = stored.get(window);
        const fold = foldChanges(current?.state ?? emptyCounter(locationOid, window), windowChanges, deps.clock.now());
        if (fold.applied === 0) {
          if (window === 'all') redelivered += fold.skipped;
          continue;
        }
        const committed = await deps.counters.commit({
          state: fold.state,
          expectedEtag: current?.etag ?? null,
          rows: rowsOfCounter(fold.state, deps.materializedTop),
        });
        if (!committed) {
          lost.set(window, windowChanges);
          conflictsRetried += 1;
          continue;
        }
        if (window === 'all') {
          counted += fold.applied;
          redelivered += fold.skipped;
        }
      }
      pending = lost;
    }
  };

  const entries = [...grouped];
  const concurrency = Math.max(1, deps.concurrency ?? 8);
  let next = 0;
  // After a failure no worker starts another location, and the call returns only once every worker
  // has stopped: no commit lands after the caller has seen the error (and rolled back, locally).
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < entries.length) {
      const [locationOid, windows] = entries[next++] as [Int64, Map<CounterWindow, CountedChange[]>];
      try {
        await commitLocation(locationOid, windows);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  if (failure) throw failure.error;
  return { changes: changes.length, counted, redelivered, conflictsRetried };
}
