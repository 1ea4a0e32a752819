import type { CounterState, CounterWindow } from '../../domain/counters';
import { compareInt64, type Int64 } from '../../domain/ids';
import type { TopItemRow } from '../../domain/ranking';
import type { CounterCommit, CounterStore, StoredCounter } from '../../ports';

interface Slot {
  state: CounterState;
  etag: string;
  rows: TopItemRow[];
}

/**
 * The counter store in memory with the semantics the aggregator relies on: a commit writes the
 * counter and its rows together, and only if the counter still has the etag it was computed from.
 * Tests can make it lose races and crash after a number of commits.
 */
export class InMemoryCounterStore implements CounterStore {
  private readonly slots = new Map<string, Slot>();
  private version = 0;
  private racesToLose = 0;
  private crashAfter: number | undefined;
  private readonly beforeCommitHooks: ((commit: CounterCommit) => Promise<void> | void)[] = [];
  /** Successful commits so far. */
  commits = 0;
  /** Commits refused because the etag no longer matched (real or simulated lost races). */
  refused = 0;

  read(locationOid: Int64, windows: readonly CounterWindow[]): Promise<Map<CounterWindow, StoredCounter>> {
    const found = new Map<CounterWindow, StoredCounter>();
    for (const window of windows) {
      const slot = this.slots.get(keyOf(locationOid, window));
      if (slot) found.set(window, { state: structuredClone(slot.state), etag: slot.etag });
    }
    return Promise.resolve(found);
  }

  async commit(commit: CounterCommit): Promise<boolean> {
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
    this.slots.set(key, { state: structuredClone(commit.state), etag: `"v${this.version}"`, rows: structuredClone([...commit.rows]) });
    this.commits += 1;
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

  /** The flat rows last committed with each counter (what Power BI reads). */
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
