import type { CaptureArchive } from './capture/archive';
import type { CommonConfig } from './config';
import type { LocationTable } from './domain/locations';
import type { Clock, CounterStore, DeadLetterSink, DedupStore, EventPublisher, MetricsStore, TallyStore } from './ports';

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
  readonly deadLetters: DeadLetterSink;
  readonly metrics: MetricsStore;
  readonly publisher: EventPublisher;
  /** Dataset B, loaded once and kept. */
  readonly locations: () => Promise<LocationTable>;
  /** Work accepted but not yet counted, where the host can tell. */
  readonly backlog: () => Promise<Backlog>;
  /** The Event Hubs Capture files, for replay; absent where the host has no capture archive. */
  readonly captures?: CaptureArchive;
}

export interface Backlog {
  /** Events published but not yet ingested (null when the host cannot tell, as in Azure). */
  readonly events: number | null;
  /** Stored detections not yet folded into the counters. */
  readonly changes: number | null;
}
