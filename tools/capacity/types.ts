import type { CapacityInputs } from './inputs';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The assumption or rule behind the figure. */
  readonly basis: string;
}

export interface Section {
  readonly title: string;
  readonly figures: readonly Figure[];
}

export interface ContainerThroughput {
  readonly name: string;
  /** Steady need at the given rate (TTL deletes only with --count-ttl-deletes). */
  readonly ruPerSecond: number;
  /** TTL deletes of this container at steady state, run in left-over RU/s. */
  readonly ttlDeleteRuPerSecond: number;
  /** Autoscale max: need × headroom, and need + uncounted TTL deletes, rounded up to 1,000, at least 1,000. */
  readonly autoscaleMaxRu: number;
}

/** One Cosmos DB operation: what the code records as `cosmos-charges` (or, if invisible to it, the model's estimate). */
export interface OperationRow {
  readonly operation: string;
  readonly container: string;
  /** Recorded by the code per request (true), or invisible to it and only estimated here (false). */
  readonly visibleToCode: boolean;
  readonly requestsPerSecond: number;
  readonly ruPerRequest: number;
  readonly ruPerSecond: number;
  readonly ruPerStoredDetection: number;
  readonly measured: boolean;
  readonly basis: string;
}

/** Values of infra/main.bicepparam that come from the model (test/infra/capacity.test.ts holds them equal). */
export interface BicepValues {
  readonly partitionCount: number;
  readonly throughputUnits: number;
  readonly autoInflateMaxThroughputUnits: number;
  readonly dedupMaxThroughput: number;
  readonly talliesMaxThroughput: number;
  readonly topItemsMaxThroughput: number;
  readonly leasesMaxThroughput: number;
  readonly dedupTtlSeconds: number;
  readonly talliesTtlSeconds: number;
  readonly rowsRefreshSeconds: number;
  readonly hourlyRetentionDays: number;
}

export interface CapacityResult {
  readonly inputs: CapacityInputs;
  readonly sections: readonly Section[];
  readonly containers: readonly ContainerThroughput[];
  readonly operations: readonly OperationRow[];
  readonly bicep: BicepValues;
  readonly totals: {
    /** RU/s needed: user requests and change-feed reads (plus TTL deletes with --count-ttl-deletes). */
    readonly ruPerSecond: number;
    /** TTL deletes at steady state, whether counted in ruPerSecond or not. */
    readonly ttlDeleteRuPerSecond: number;
    readonly ttlDeletesCounted: boolean;
    readonly ruBesidesDedup: number;
    readonly autoscaleMaxRu: number;
    readonly ruPerEvent: number;
    readonly monthlyCost: number;
    readonly throughputUnits: number;
    readonly partitions: number;
    readonly functionInstances: number;
    readonly counterDelaySeconds: number;
  };
  readonly warnings: readonly string[];
}
