import type { CaptureArchive } from './capture/archive';
import type { CommonConfig } from './config';
import type { LocationTable } from './domain/locations';
import type { Clock, CounterStore, DeadLetterSink, DedupStore, EventPublisher, MetricsStore, RowsStore, TallyStore } from './ports';

/**
 * What the function handlers need, built once per worker. In Azure it is made from the config by
 * the Azure adapters on first use (functions/services.ts); the local runtime and the tests install
 * their own with `useServices`, so the very same handlers run on every host.
 */
export interface Services {
  readonly host: 'azure' | 'local' | 'test';
  readonly config: CommonConfig;
  readonly clock: Clock;
  readonly dedup: DedupStore;
  readonly tallies: TallyStore;
  readonly counters: CounterStore;
  /** The flat Power BI rows of the counters, refreshed on a cadence. */
  readonly rows: RowsStore;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: MetricsStore;
  readonly publisher: EventPublisher;
  /** Dataset B, loaded once and kept. */
  readonly locations: () => Promise<LocationTable>;
  /** Work accepted but not yet counted, where the host can tell. */
  readonly backlog: () => Promise<Backlog>;
  /** Store requests by operation since the worker started, where the host shows them (the local runtime). */
  readonly operations?: () => Record<string, number>;
  /** The Event Hubs Capture files, for replay; absent where the host has no capture archive. */
  readonly captures?: CaptureArchive;
  /**
   * How long GET /api/health reuses its answer (ms). Where the route is open to anyone and each read
   * costs RUs (Azure), a few seconds; hosts that omit it read afresh (concurrent callers still share
   * one read).
   */
  readonly healthCacheMs?: number;
}

export interface Backlog {
  /** Events published but not yet ingested (null when the host cannot tell, as in Azure). */
  readonly events: number | null;
  /** Stored detections not yet folded into the counters. */
  readonly changes: number | null;
}
