import {
  type Contribution,
  type CounterWindow,
  contributionsByCounter,
  emptyCounter,
  foldContributions,
  rowsOfCounter,
} from '../domain/counters';
import type { Int64 } from '../domain/ids';
import { isRetained, ttlSecondsAt } from '../domain/retention';
import type { Tally } from '../domain/tallies';
import type { Clock, CounterStore } from '../ports';

export interface AggregateDeps {
  readonly counters: CounterStore;
  readonly clock: Clock;
  /** Days an hourly counter is kept after its hour ends (older hours are not committed); absent keeps them all. */
  readonly hourlyRetentionDays?: number;
  /** How many locations are committed at once. */
  readonly concurrency?: number;
  /** When the rows are due (see refreshRows.ts): each commit writes its counter's top rows, this many. */
  readonly rowsTop?: number;
}

export interface AggregateSummary {
  readonly tallies: number;
  /** Detections newly folded into the all-time counters (each distinct detection once). */
  readonly counted: number;
  /** Detections skipped because an earlier delivery already folded their tally. */
  readonly redelivered: number;
  readonly conflictsRetried: number;
  /** Hour windows left out because they had already expired (their detections still count all-time). */
  readonly expiredHours: number;
  /** Commits that wrote their counter's rows too (rowsTop set). */
  readonly rowsWithCommits: number;
}

const MAX_ATTEMPTS = 20;

/**
 * Stage two of aggregation (see domain/tallies.ts): fold a batch of tallies into the per-location
 * counters, committing each counter the batch touches and changes once (a counter the batch leaves
 * unchanged, such as a redelivery, is not written). The flat rows follow on a cadence (refreshRows.ts):
 * with `rowsTop`, each commit carries its counter's rows. Each counter carries a watermark per
 * dedup partition, and each write is conditional on the etag it was computed from, so redelivered
 * and concurrent batches leave every count exact.
 */
export async function applyTallies(tallies: readonly Tally[], deps: AggregateDeps): Promise<AggregateSummary> {
  const grouped = contributionsByCounter(tallies);
  let counted = 0;
  let redelivered = 0;
  let conflictsRetried = 0;
  let expiredHours = 0;
  let rowsWithCommits = 0;
  const retention = { hourlyDays: deps.hourlyRetentionDays ?? Number.POSITIVE_INFINITY };

  const commitLocation = async (locationOid: Int64, windows: Map<CounterWindow, Contribution[]>): Promise<void> => {
    let pending = new Map(windows);
    for (let attempt = 1; pending.size > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS)
        throw new Error(`location ${locationOid}: counters kept changing under us after ${MAX_ATTEMPTS} attempts`);
      const stored = await deps.counters.read(locationOid, [...pending.keys()]);
      const lost = new Map<CounterWindow, Contribution[]>();
      for (const [window, windowContributions] of pending) {
        const nowMs = deps.clock.now();
        const current = stored.get(window);
        const fold = foldContributions(current?.state ?? emptyCounter(locationOid, window), windowContributions, nowMs);
        if (fold.applied === 0) {
          if (window === 'all') redelivered += fold.skipped;
          continue;
        }
        const rows = deps.rowsTop === undefined ? undefined : rowsOfCounter(fold.state, deps.rowsTop);
        const committed = await deps.counters.commit({
          state: fold.state,
          expectedEtag: current?.etag ?? null,
          ttlSeconds: ttlSecondsAt(window, nowMs, retention),
          ...(rows && { rows }),
        });
        if (!committed) {
          lost.set(window, windowContributions);
          conflictsRetried += 1;
          continue;
        }
        if (rows) rowsWithCommits += 1;
        if (window === 'all') {
          counted += fold.applied;
          redelivered += fold.skipped;
        }
      }
      pending = lost;
    }
  };

  for (const windows of grouped.values()) {
    for (const window of windows.keys()) {
      if (isRetained(window, deps.clock.now(), retention)) continue;
      windows.delete(window);
      expiredHours += 1;
    }
  }
  const entries = [...grouped];
  const concurrency = Math.max(1, deps.concurrency ?? 8);
  let next = 0;
  // After a failure no worker starts another location, and the call returns only once every worker
  // has stopped: no commit lands after the caller has seen the error (and rolled back, locally).
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < entries.length) {
      const [locationOid, windows] = entries[next++] as [Int64, Map<CounterWindow, Contribution[]>];
      try {
        await commitLocation(locationOid, windows);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  if (failure) throw failure.error;
  return { tallies: tallies.length, counted, redelivered, conflictsRetried, expiredHours, rowsWithCommits };
}
