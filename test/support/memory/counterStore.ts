import type { CounterState, CounterWindow } from '../../../shared/domain/counters';
import { compareInt64, type Int64 } from '../../../shared/domain/ids';
import type { TopItemRow } from '../../../shared/domain/ranking';
import {
  type CounterCommit,
  type CounterStore,
  type DueFilter,
  type DueRows,
  noMeter,
  type RequestMeter,
  type RowsStore,
  type StoredCounter,
} from '../../../shared/ports';

interface Slot {
  state: CounterState;
  etag: string;
  /** The flat rows as last written by a rows refresh, and whether they lag the counter. */
  rows: TopItemRow[];
  rowsDue: boolean;
  ttlSeconds: number | undefined;
}

/**
 * The counter store in memory with the semantics the aggregator relies on: a commit writes the
 * counter and marks its rows due (or writes them with it), only if the counter still has the etag it was computed from; a rows
 * write applies only while the counter keeps the etag it was computed from.
 * Tests can make it lose races and crash after a number of commits or rows writes.
 */
export class InMemoryCounterStore implements CounterStore, RowsStore {
  private readonly slots = new Map<string, Slot>();
  private version = 0;
  private racesToLose = 0;
  private crashAfter: number | undefined;
  private rowsCrashAfter: number | undefined;
  /** Successful rows writes so far, with a commit or alone. */
  rowsWrites = 0;
  /** Successful rows writes not carried by a commit (the refresh of counters a batch did not touch). */
  rowsWritesAlone = 0;
  /** Counts the requests the Cosmos DB adapter would make. */
  meter: RequestMeter = noMeter;
  private readonly beforeCommitHooks: ((commit: CounterCommit) => Promise<void> | void)[] = [];
  /** Successful commits so far. */
  commits = 0;
  /** Commits refused because the etag no longer matched (real or simulated lost races). */
  refused = 0;

  read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    const found = new Map<CounterWindow, StoredCounter>();
    for (const window of windows) {
      this.meter.record('counter_read', 0);
      const slot = this.slots.get(keyOf(locationOid, window));
      if (slot) found.set(window, { state: structuredClone(slot.state), etag: slot.etag });
    }
    return Promise.resolve(found);
  }

  async commit(commit: CounterCommit): Promise<boolean> {
    this.meter.record(commit.rows ? 'rows_write' : 'counter_commit', 0);
    for (const hook of this.beforeCommitHooks) await hook(commit);
    if (this.crashAfter !== undefined && this.commits >= this.crashAfter) {
      throw new Error(`simulated crash: the store went away after ${this.crashAfter} commits`);
    }
    const key = keyOf(commit.state.locationOid, commit.state.window);
    const current = this.slots.get(key);
    const matches = commit.expectedEtag === null ? current === undefined : current?.etag === commit.expectedEtag;
    if (!matches || this.racesToLose > 0) {
      if (matches) this.racesToLose -= 1;
      this.refused += 1;
      return false;
    }
    this.version += 1;
    this.slots.set(key, {
      state: structuredClone(commit.state),
      etag: `"v${this.version}"`,
      rows: commit.rows ? structuredClone([...commit.rows]) : (current?.rows ?? []),
      rowsDue: !commit.rows,
      ttlSeconds: commit.ttlSeconds,
    });
    this.commits += 1;
    if (commit.rows) this.rowsWrites += 1;
    return true;
  }

  list(filter: { locationOid?: Int64; windows?: readonly CounterWindow[] }): Promise<CounterState[]> {
    const windows = filter.windows ? new Set(filter.windows) : undefined;
    const states = [...this.slots.values()]
      .map((slot) => slot.state)
      .filter(
        (state) =>
          (filter.locationOid === undefined || state.locationOid === filter.locationOid) && (!windows || windows.has(state.window)),
      )
      .sort((a, b) => compareInt64(a.locationOid, b.locationOid) || (a.window < b.window ? -1 : a.window > b.window ? 1 : 0));
    return Promise.resolve(structuredClone(states));
  }

  due(filter: DueFilter = {}): Promise<DueRows[]> {
    // Counted as the Cosmos DB adapter would send it: an answer from its cache is no request.
    if (!filter.fromCache) this.meter.record('counter_read', 0);
    const due = [...this.slots.values()]
      .filter((slot) => slot.rowsDue && (filter.updatedBefore === undefined || slot.state.updatedAt <= filter.updatedBefore))
      .map((slot) => ({ state: structuredClone(slot.state), etag: slot.etag, written: structuredClone(slot.rows) }));
    return Promise.resolve(due);
  }

  write(due: DueRows, rows: readonly TopItemRow[], ttlSeconds: number | undefined): Promise<boolean> {
    this.meter.record('rows_write', 0);
    if (this.rowsCrashAfter !== undefined && this.rowsWritesAlone >= this.rowsCrashAfter) {
      return Promise.reject(new Error(`simulated crash: the store went away after ${this.rowsCrashAfter} rows writes`));
    }
    const slot = this.slots.get(keyOf(due.state.locationOid, due.state.window));
    if (!slot || slot.etag !== due.etag) return Promise.resolve(false);
    // Rows do not change the counter, so its etag stays: the aggregator's next commit is not refused.
    slot.rows = structuredClone([...rows]);
    slot.rowsDue = false;
    slot.ttlSeconds = ttlSeconds;
    this.rowsWrites += 1;
    this.rowsWritesAlone += 1;
    return Promise.resolve(true);
  }

  /** The per-item TTL last written with a counter (seconds; undefined never expires). */
  ttlOf(locationOid: Int64, window: CounterWindow): number | undefined {
    return this.slots.get(keyOf(locationOid, window))?.ttlSeconds;
  }

  /**
   * Every rows write not carried by a commit, after the first `count` more, throws: a process dying
   * between the commits of a batch and the rows of the due counters it did not touch.
   */
  crashAfterRowsWrites(count: number | undefined): void {
    this.rowsCrashAfter = count === undefined ? undefined : this.rowsWritesAlone + count;
  }

  /** The flat rows last written for each counter (what Power BI reads). */
  rows(locationOid?: Int64): TopItemRow[] {
    return [...this.slots.values()]
      .filter((slot) => locationOid === undefined || slot.state.locationOid === locationOid)
      .flatMap((slot) => structuredClone(slot.rows));
  }

  /** The next `count` commits whose etag matches are refused anyway, as if another writer got there first. */
  loseRaces(count: number): void {
    this.racesToLose += count;
  }

  /** Every commit after the first `count` successful ones throws, as a process dying mid-batch would. */
  crashAfterCommits(count: number | undefined): void {
    this.crashAfter = count === undefined ? undefined : this.commits + count;
  }

  /** Runs before each commit is judged, so a test can slip another writer's commit in between read and write. */
  beforeCommit(hook: (commit: CounterCommit) => Promise<void> | void): void {
    this.beforeCommitHooks.push(hook);
  }
}

function keyOf(locationOid: Int64, window: CounterWindow): string {
  return `${locationOid}|${window}`;
}
