import { rowsOfCounter } from '../domain/counters';
import { isRetained, oldestRetainedHour, ttlSecondsAt } from '../domain/retention';
import type { Clock, DueRows, RowsStore } from '../ports';

export interface RefreshRowsDeps {
  readonly rows: RowsStore;
  readonly clock: Clock;
  readonly materializedTop: number;
  readonly hourlyRetentionDays: number;
  /** Only counters last committed at least this long ago (ms): the idle flush leaves active ones to `aggregate`. */
  readonly settledMs?: number;
  /** Take the due counters from the store's per-worker cache (`aggregate`, the single writer) rather than a query. */
  readonly fromCache?: boolean;
  readonly concurrency?: number;
}

export interface RefreshRowsSummary {
  /** Counters whose rows were due (and old enough, with settledMs). */
  readonly due: number;
  /** Counters whose rows were written. */
  readonly written: number;
  /** Counters committed again meanwhile: still due, written by the next refresh. */
  readonly moved: number;
  /** Expired hourly counters dropped, where the store has no TTL. */
  readonly purged: number;
}

/**
 * Writes the flat Power BI rows of every counter whose rows are due: a counter commit marks them due
 * in the same write, so a crash between a commit and its rows write leaves them due, and the next
 * refresh (one cadence later) repairs them. Each write is conditional on the counter's etag. The
 * counters an `aggregate` batch commits while the cadence is due carry their rows themselves
 * (aggregate.ts, `rowsTop`); this writes the others.
 */
export async function refreshRows(deps: RefreshRowsDeps): Promise<RefreshRowsSummary> {
  const nowMs = deps.clock.now();
  const retention = { hourlyDays: deps.hourlyRetentionDays };
  const purged = deps.rows.purgeBefore ? await deps.rows.purgeBefore(oldestRetainedHour(nowMs, retention)) : 0;
  const settledBefore = nowMs - (deps.settledMs ?? 0);
  const filter = {
    ...(deps.settledMs !== undefined && { updatedBefore: new Date(settledBefore).toISOString() }),
    ...(deps.fromCache && { fromCache: true }),
  };
  // The store applies `updatedBefore`; expired hours are left to the purge or the TTL.
  const due = (await deps.rows.due(filter)).filter(({ state }) => isRetained(state.window, nowMs, retention));
  let written = 0;
  let moved = 0;
  const writeOne = async (entry: DueRows): Promise<void> => {
    const rows = rowsOfCounter(entry.state, deps.materializedTop);
    if (await deps.rows.write(entry, rows, ttlSecondsAt(entry.state.window, nowMs, retention))) written += 1;
    else moved += 1;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < due.length) await writeOne(due[next++] as DueRows);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, deps.concurrency ?? 8), due.length) }, worker));
  return { due: due.length, written, moved, purged };
}

/**
 * When this worker last refreshed the rows, so that `aggregate` refreshes at most once per cadence
 * and two refreshes of one worker never overlap.
 */
export class RowsCadence {
  private lastMs = Number.NEGATIVE_INFINITY;
  private running: Promise<unknown> | undefined;

  /** Runs `refresh` if `cadenceMs` has passed since the last one began and none is running; else undefined. */
  async maybe<T>(nowMs: number, cadenceMs: number, refresh: () => Promise<T>): Promise<T | undefined> {
    if (this.running || nowMs - this.lastMs < cadenceMs) return undefined;
    this.lastMs = nowMs;
    const run = refresh();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  reset(): void {
    this.lastMs = Number.NEGATIVE_INFINITY;
  }
}

/** The cadence of this worker's `aggregate`: the batch that claims it commits with rows. */
export const workerRowsCadence = new RowsCadence();

/**
 * The idle-flush timer's own cadence. Were it to share `aggregate`'s, a tick could claim a cadence
 * that only writes idle counters, and the active counters' rows would wait for the next one.
 */
export const idleRowsCadence = new RowsCadence();
