/**
 * What the model is told: the load, the code's and the Bicep's settings, the RU assumptions no public
 * source fixes, and unit prices. The defaults describe what the code and infra/main.bicepparam do.
 */
import { FEED_BATCH_MAX, FEED_CYCLE_SECONDS } from '../../shared/pipeline/pacing';
import type { MeasuredCharges } from './operations';

export interface Prices {
  readonly region: string;
  readonly currency: string;
  readonly asOf: string;
  readonly eventHubsTuHour: number;
  readonly eventHubsIngressPerMillion: number;
  readonly eventHubsCaptureTuHour: number;
  readonly cosmosManualPer100RuHour: number;
  readonly cosmosAutoscalePer100RuHour: number;
  readonly cosmosStorageGbMonth: number;
  readonly flexGbSecond: number;
  readonly flexPerMillionExecutions: number;
  readonly flexFreeGbSeconds: number;
  readonly flexFreeExecutions: number;
  readonly blobHotGbMonth: number;
}

/** Pay-as-you-go list prices as recalled for East US in 2025. They are assumptions: check them before use. */
export const DEFAULT_PRICES: Prices = {
  region: 'East US',
  currency: 'USD',
  asOf: '2025 list prices, unverified: check https://azure.microsoft.com/pricing/ before use',
  eventHubsTuHour: 0.03,
  eventHubsIngressPerMillion: 0.028,
  eventHubsCaptureTuHour: 0.1,
  cosmosManualPer100RuHour: 0.008,
  cosmosAutoscalePer100RuHour: 0.012,
  cosmosStorageGbMonth: 0.25,
  flexGbSecond: 0.000026,
  flexPerMillionExecutions: 0.4,
  flexFreeGbSeconds: 100_000,
  flexFreeExecutions: 250_000,
  blobHotGbMonth: 0.018,
};

export interface RuAssumptions {
  /** A create refused with 409 because the id exists. No public source: assumption, measure it (dedup_conflict). */
  readonly conflictRu: number;
  /** The dedup store reads the stored copy after a 409 to compare it (CosmosDedupStore does). */
  readonly readOnDuplicate: boolean;
  /** Indexed terms of a dedup record: 0 with an indexing policy that excludes every path. */
  readonly dedupIndexedTerms: number;
  /** Indexed terms of a tally: 0, like the dedup container. */
  readonly tallyIndexedTerms: number;
  /** Index terms a counter replace changes (items and watermarks are excluded from the index). */
  readonly counterChangedTerms: number;
  /** Index terms a row upsert changes (item_count, updatedAt). */
  readonly rowChangedTerms: number;
  /** Index terms a lease checkpoint changes (continuation token, timestamp, owner). */
  readonly leaseChangedTerms: number;
  readonly leaseKb: number;
  /** Index storage as a share of the data of a dedup record. */
  readonly dedupIndexOverhead: number;
  /** Cosmos DB system properties (_rid, _self, _etag, _ts, _attachments) added to every document. */
  readonly systemPropertyBytes: number;
  /**
   * Count TTL deletes in the RU/s needed. Off by default: Cosmos DB runs TTL deletes in the RU/s user
   * requests leave over, and on autoscale they neither scale the container up nor are billed (autoscale
   * FAQ). They are shown apart, and the autoscale maximum keeps room for them.
   */
  readonly provisionTtlDeletes: boolean;
  /** Time between a counter's read and its conditional write, when several writers race on it. */
  readonly commitWindowSeconds: number;
  /** A patch operation's base charge per operation ("Understand request unit consumption", patch example). */
  readonly patchBaseRuPerOperation: number;
  /** Restarts of a tally or aggregate worker per hour: each empties its cache of cursors or counters (assumption). */
  readonly workerRestartsPerHour: number;
  /** Share of aggregate batches redelivered (their counters unchanged, so not committed). Assumption. */
  readonly redeliveredShare: number;
}

export const DEFAULT_RU_ASSUMPTIONS: RuAssumptions = {
  conflictRu: 2,
  readOnDuplicate: true,
  dedupIndexedTerms: 0,
  tallyIndexedTerms: 0,
  counterChangedTerms: 2,
  rowChangedTerms: 2,
  leaseChangedTerms: 3,
  leaseKb: 0.5,
  dedupIndexOverhead: 0.1,
  systemPropertyBytes: 150,
  provisionTtlDeletes: false,
  commitWindowSeconds: 0.03,
  patchBaseRuPerOperation: 0.4,
  workerRestartsPerHour: 1,
  redeliveredShare: 0.01,
};

export interface CapacityInputs {
  /** Detections received per second, duplicates and invalid ones included. */
  readonly eventsPerSecond: number;
  /** Share of valid events that re-send an earlier detection. */
  readonly duplicateRate: number;
  readonly invalidRate: number;
  /** Share of detections stamped in an earlier hour, spread over `lateHours` hours. */
  readonly lateRate: number;
  readonly lateHours: number;
  /** Dedup horizon: the dedup container's TTL and DEDUP_TTL_SECONDS. */
  readonly ttlHours: number;
  /** TTL of the tallies container: how long aggregate may stall before tallies expire unread. */
  readonly talliesTtlHours: number;
  readonly locations: number;
  readonly camerasPerLocation: number;
  readonly items: number;
  /** Zipf exponent of location and item popularity (0 = uniform). */
  readonly skew: number;
  /** Detections per POST /api/events request. */
  readonly postBatchSize: number;
  /** Cameras whose detections one POST carries (assumption: a location's cameras post together). */
  readonly camerasPerPost: number;
  /** JSON bytes of one detection as published. */
  readonly eventBytes: number;
  /** host.json eventHubs.maxEventBatchSize and maxWaitTime (seconds). */
  readonly ingestBatchSize: number;
  readonly ingestMaxWaitSeconds: number;
  /** Event hub partitions; computed when absent. */
  readonly partitions: number | undefined;
  readonly dedupPartitions: number;
  readonly materializedTop: number;
  /** Flat Power BI row documents, one per top-X rank (Power BI DirectQuery on Cosmos DB). */
  readonly flatRows: boolean;
  /** ROWS_REFRESH_SECONDS: cadence of the rows writes; only rows changed since the last write are written. */
  readonly rowsRefreshSeconds: number;
  /** HOURLY_RETENTION_DAYS: per-item TTL of hourly counters and their rows; all-time counters never expire. */
  readonly hourlyRetentionDays: number;
  /** maxItemsPerInvocation of both Cosmos DB triggers (FEED_BATCH_MAX). */
  readonly feedBatchSize: number;
  /**
   * The tally cycle: a `tally` batch smaller than maxItemsPerInvocation returns no earlier than this after
   * it started (FEED_CYCLE_SECONDS.tally), so a lease that keeps up takes one batch per cycle.
   */
  readonly feedCycleSeconds: number;
  /** The aggregate cycle, held the same way by `aggregate` (FEED_CYCLE_SECONDS.aggregate). */
  readonly aggregateCycleSeconds: number;
  readonly instanceMemoryMb: number;
  readonly httpEventsPerInstance: number;
  readonly ingestEventsPerInstance: number;
  readonly tallyChangesPerInstance: number;
  /** Autoscale max RU/s over the steady need (skew between physical partitions, bursts, catch-up). */
  readonly headroom: number;
  readonly captureRetentionDays: number;
  /** Avro record overhead per captured event (sequence number, offset, enqueued time, properties). */
  readonly captureRecordOverheadBytes: number;
  /** All-locations top-items queries per second (dashboards, Power BI refresh). */
  readonly queryRps: number;
  readonly ru: RuAssumptions;
  readonly prices: Prices;
  /** Per-operation RU measured in a deployment (`--measured`); they replace the model's figures. */
  readonly measured?: MeasuredCharges;
}

export const DEFAULT_INPUTS: CapacityInputs = {
  eventsPerSecond: 10_000,
  duplicateRate: 0.05,
  invalidRate: 0,
  lateRate: 0.02,
  lateHours: 6,
  ttlHours: 24,
  talliesTtlHours: 12,
  locations: 100,
  camerasPerLocation: 4,
  items: 50,
  skew: 1,
  postBatchSize: 1000,
  camerasPerPost: 4,
  eventBytes: 180,
  ingestBatchSize: 1000,
  ingestMaxWaitSeconds: 1,
  partitions: undefined,
  dedupPartitions: 64,
  materializedTop: 10,
  flatRows: true,
  rowsRefreshSeconds: 10,
  hourlyRetentionDays: 90,
  feedBatchSize: FEED_BATCH_MAX,
  feedCycleSeconds: FEED_CYCLE_SECONDS.tally,
  aggregateCycleSeconds: FEED_CYCLE_SECONDS.aggregate,
  instanceMemoryMb: 2048,
  httpEventsPerInstance: 5000,
  ingestEventsPerInstance: 2500,
  tallyChangesPerInstance: 10_000,
  headroom: 1.5,
  captureRetentionDays: 30,
  captureRecordOverheadBytes: 100,
  queryRps: 1,
  ru: DEFAULT_RU_ASSUMPTIONS,
  prices: DEFAULT_PRICES,
};
