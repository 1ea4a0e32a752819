import { requestMeter } from '../../../shared/charges';
import type { CommonConfig } from '../../../shared/config';
import type { LocationTable } from '../../../shared/domain/locations';
import type { Clock } from '../../../shared/ports';
import { systemClock } from '../../../shared/ports';
import type { Backlog, Services } from '../../../shared/services';
import { InMemoryCounterStore } from './counterStore';
import { InMemoryDedupStore } from './dedupStore';
import { InMemoryTallyStore } from './tallyStore';
import { InMemoryDeadLetters, InMemoryMetrics, InMemoryPublisher } from './simple';

export const TEST_CONFIG: CommonConfig = {
  referenceContainer: 'reference',
  datasetBBlob: 'locations.csv',
  deadLetterContainer: 'deadletter',
  captureContainer: 'capture',
  dedupTtlSeconds: 3600,
  dedupPartitions: 64,
  materializedTop: 10,
  rowsRefreshSeconds: 10,
  hourlyRetentionDays: 90,
  maxBodyBytes: 1024 * 1024,
  replayGuardMinutes: 5,
};

export interface MemoryServices extends Services {
  readonly dedup: InMemoryDedupStore;
  readonly tallies: InMemoryTallyStore;
  readonly counters: InMemoryCounterStore;
  readonly rows: InMemoryCounterStore;
  readonly deadLetters: InMemoryDeadLetters;
  readonly metrics: InMemoryMetrics;
  readonly publisher: InMemoryPublisher;
}

export interface MemoryServicesOptions {
  readonly locations?: LocationTable | (() => Promise<LocationTable>);
  readonly config?: Partial<CommonConfig>;
  readonly clock?: Clock;
  readonly backlog?: Backlog;
}

/** A whole Services bundle in memory, for handler tests: every port with the semantics of its Azure adapter. */
export function createMemoryServices(options: MemoryServicesOptions = {}): MemoryServices {
  const config = { ...TEST_CONFIG, ...options.config };
  const clock = options.clock ?? systemClock;
  const source = options.locations ?? new Map<string, string>();
  const locations = typeof source === 'function' ? source : () => Promise.resolve(source);
  const backlog = options.backlog ?? { events: 0, changes: 0 };
  // Each store counts the requests its Cosmos DB adapter would make, as the local runtime does.
  const counters = new InMemoryCounterStore();
  const dedup = new InMemoryDedupStore({ ttlSeconds: config.dedupTtlSeconds, clock });
  const tallies = new InMemoryTallyStore();
  const metrics = new InMemoryMetrics();
  counters.meter = dedup.meter = tallies.meter = metrics.meter = requestMeter;
  return {
    host: 'test',
    config,
    clock,
    dedup,
    tallies,
    counters,
    rows: counters,
    deadLetters: new InMemoryDeadLetters(),
    metrics,
    publisher: new InMemoryPublisher(),
    locations,
    backlog: () => Promise.resolve(backlog),
  };
}

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private nowMs = Date.UTC(2026, 10, 22, 10, 30)) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  set(ms: number): void {
    this.nowMs = ms;
  }
}
