/**
 * The capacity and cost model of the Azure deployment: Event Hubs → Functions (ingest) → Cosmos DB dedup
 * container → change feed → Functions (tally) → tallies container → change feed → Functions (aggregate)
 * → per-location counters. Every figure carries the assumption behind it. The model is pure (no I/O) and
 * exported for tests; `npm run capacity` prints it.
 *
 * Sources of the documented constants are listed in docs/capacity.md. Unit prices are assumptions that
 * must be checked against the Azure pricing pages before use.
 */
import { readFileSync } from 'node:fs';
import { formatHelp, type OptionSpec, parseOptions, UsageError } from './lib/cli';

// ---------------------------------------------------------------------------------------------------
// Documented constants

/** RU of a point read and of a write (create) by document size, from "Understand request unit consumption". */
export const DOCUMENTED_RU_BY_SIZE: readonly { readonly kb: number; readonly read: number; readonly write: number }[] = [
  { kb: 1, read: 1.0, write: 4.95 },
  { kb: 2, read: 1.04, write: 6.29 },
  { kb: 4, read: 1.14, write: 6.67 },
  { kb: 8, read: 1.33, write: 7.04 },
  { kb: 16, read: 1.67, write: 9.52 },
  { kb: 32, read: 2.19, write: 11.23 },
  { kb: 64, read: 4.76, write: 22.67 },
  { kb: 128, read: 9.95, write: 48.19 },
];

/** Same page: each indexed term written or removed adds about 0.2 RU. */
export const RU_PER_INDEX_TERM = 0.2;
/** Event Hubs Standard throughput unit: ingress 1 MB/s or 1,000 events/s, egress 2 MB/s or 4,096 events/s. */
export const TU_INGRESS_MB = 1;
export const TU_INGRESS_EVENTS = 1000;
export const TU_EGRESS_MB = 2;
export const TU_EGRESS_EVENTS = 4096;
export const EVENT_HUBS_STANDARD_MAX_TU = 40;
export const EVENT_HUBS_STANDARD_MAX_PARTITIONS = 32;
/** Cosmos DB: 10,000 RU/s per physical (and logical) partition, 20 GB per logical partition, 50 GB per physical partition. */
export const COSMOS_MAX_RU_PER_PARTITION = 10_000;
export const COSMOS_MAX_LOGICAL_PARTITION_GB = 20;
export const COSMOS_PHYSICAL_PARTITION_GB = 50;
/** Change feed processor default lease renewal interval (Functions Cosmos DB trigger). */
export const LEASE_RENEW_SECONDS = 17;
/** The public reference: Azure-Samples/streaming-at-scale, eventhubs-functions-cosmosdb, 10,000 msgs/s on 100,000 RU/s. */
export const REFERENCE = { eventsPerSecond: 10_000, provisionedRu: 100_000, ruPerWrite: 8.5 } as const;

const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const SECONDS_PER_DAY = 86_400;
const GB = 1e9;
const KB = 1024;

// ---------------------------------------------------------------------------------------------------
// Inputs

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
  /** A create that fails with 409 because the id exists. Not documented; measure with x-ms-request-charge. */
  readonly conflictRu: number;
  /** The dedup store reads the stored copy after a 409 to count conflicts (CosmosDedupStore does). */
  readonly readOnDuplicate: boolean;
  /** Indexed terms of a dedup record: 0 with an indexing policy that excludes every path. */
  readonly dedupIndexedTerms: number;
  /** Index terms a counter replace changes (items and watermarks excluded from the index). */
  readonly counterChangedTerms: number;
  /** Index terms a row upsert changes (item_count, sometimes item_name). */
  readonly rowChangedTerms: number;
  /** Index terms a lease checkpoint changes (continuation token, timestamp, owner). */
  readonly leaseChangedTerms: number;
  /** Size of a lease document. */
  readonly leaseKb: number;
  /** Index storage as a share of the data of a dedup record. */
  readonly dedupIndexOverhead: number;
  /** Cosmos DB system properties (_rid, _self, _etag, _ts, _attachments) added to every document. */
  readonly systemPropertyBytes: number;
  /** Indexed terms of a tally: 0 with an indexing policy that excludes every path, like the dedup container. */
  readonly tallyIndexedTerms: number;
  /**
   * Count TTL deletions in the provisioned throughput. For provisioned throughput, Cosmos DB deletes
   * expired items with the RU/s user requests leave over, so they need no extra RU/s as long as there is
   * slack; counting them sizes the containers as if there were none.
   */
  readonly provisionTtlDeletes: boolean;
  /** Time between a counter read and its conditional write: the window in which another writer can win the etag race. */
  readonly commitWindowSeconds: number;
  /** A patch operation's base charge per operation ("Understand request unit consumption", patch example). */
  readonly patchBaseRuPerOperation: number;
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
  provisionTtlDeletes: true,
  commitWindowSeconds: 0.03,
  patchBaseRuPerOperation: 0.4,
};

export interface CapacityInputs {
  /** Events received per second, duplicates and invalid ones included. */
  readonly eventsPerSecond: number;
  /** Share of valid events that re-send an earlier detection. */
  readonly duplicateRate: number;
  readonly invalidRate: number;
  /** Share of detections stamped in an earlier hour, spread over `lateHours` hours. */
  readonly lateRate: number;
  readonly lateHours: number;
  /** Dedup horizon (Cosmos DB TTL of the dedup container). */
  readonly ttlHours: number;
  /**
   * TTL of the tallies container: how long the aggregate function may stall before tallies expire
   * unread (their counts would be lost), and what the container stores.
   */
  readonly talliesTtlHours: number;
  readonly locations: number;
  readonly items: number;
  /** Zipf exponent of location and item popularity (0 = uniform). */
  readonly skew: number;
  /** Events per POST /api/events request. */
  readonly postBatchSize: number;
  /** JSON bytes of one detection as published. */
  readonly eventBytes: number;
  /** Detections per Event Hubs event (the publisher sends one per event today). */
  readonly eventsPerMessage: number;
  /** host.json eventHubs.maxEventBatchSize. */
  readonly ingestBatchSize: number;
  /** host.json eventHubs.maxWaitTime in seconds: how long the trigger waits to fill a batch. */
  readonly ingestMaxWaitSeconds: number;
  /** Event hub partitions; computed when absent. */
  readonly partitions: number | undefined;
  readonly dedupPartitions: number;
  readonly materializedTop: number;
  /** Write a flat row document per changed top-X rank with each counter (Power BI DirectQuery on Cosmos DB). */
  readonly flatRows: boolean;
  /** Cosmos DB trigger maxItemsPerInvocation, of both triggers (tally on the dedup feed, aggregate on the tallies feed). */
  readonly feedBatchSize: number;
  /**
   * Time between two change-feed batches of one lease when the lease keeps up (feedPollDelay 1 s once
   * drained): a batch holds what arrived meanwhile, up to maxItemsPerInvocation.
   */
  readonly feedCycleSeconds: number;
  /** Flex Consumption instance memory. */
  readonly instanceMemoryMb: number;
  readonly httpEventsPerInstance: number;
  readonly ingestEventsPerInstance: number;
  /** Dedup changes one tally instance sums per second (assumption). */
  readonly tallyChangesPerInstance: number;
  /** Autoscale max RU/s over the steady need (skew between physical partitions, bursts, catch-up). */
  readonly headroom: number;
  readonly captureRetentionDays: number;
  /** Avro record overhead per captured event (sequence number, offset, enqueued time, properties). */
  readonly captureRecordOverheadBytes: number;
  /** All-locations top-items queries per second (dashboards, Power BI refresh). */
  readonly queryRps: number;
  /** How long hourly counters are kept. */
  readonly counterRetentionDays: number;
  readonly ru: RuAssumptions;
  readonly prices: Prices;
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
  items: 50,
  skew: 1,
  postBatchSize: 1000,
  eventBytes: 180,
  eventsPerMessage: 1,
  ingestBatchSize: 1000,
  ingestMaxWaitSeconds: 1,
  partitions: undefined,
  dedupPartitions: 64,
  materializedTop: 10,
  flatRows: true,
  feedBatchSize: 1000,
  feedCycleSeconds: 1,
  instanceMemoryMb: 2048,
  httpEventsPerInstance: 5000,
  ingestEventsPerInstance: 2500,
  tallyChangesPerInstance: 10_000,
  headroom: 1.5,
  captureRetentionDays: 30,
  captureRecordOverheadBytes: 100,
  queryRps: 1,
  counterRetentionDays: 365,
  ru: DEFAULT_RU_ASSUMPTIONS,
  prices: DEFAULT_PRICES,
};

// ---------------------------------------------------------------------------------------------------
// Output

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
  /** Steady need at the given rate. */
  readonly ruPerSecond: number;
  /** Recommended autoscale max: need × headroom, rounded up to 1,000 (autoscale's step), at least 1,000. */
  readonly autoscaleMaxRu: number;
}

export interface CapacityResult {
  readonly inputs: CapacityInputs;
  readonly sections: readonly Section[];
  readonly containers: readonly ContainerThroughput[];
  readonly totals: {
    readonly ruPerSecond: number;
    /** The part of ruPerSecond that is TTL deletes (0 with provisionTtlDeletes off). */
    readonly ttlDeleteRuPerSecond: number;
    readonly autoscaleMaxRu: number;
    readonly ruPerEvent: number;
    readonly monthlyCost: number;
    readonly throughputUnits: number;
    readonly partitions: number;
    readonly functionInstances: number;
  };
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** Piecewise-linear in document size over the documented table; at or below 1 KB the 1 KB figure applies. */
export function documentedRu(kind: 'read' | 'write', kb: number): number {
  const table = DOCUMENTED_RU_BY_SIZE;
  const first = table[0] as (typeof table)[number];
  if (kb <= first.kb) return first[kind];
  for (let i = 1; i < table.length; i += 1) {
    const low = table[i - 1] as (typeof table)[number];
    const high = table[i] as (typeof table)[number];
    if (kb <= high.kb) return low[kind] + ((kb - low.kb) / (high.kb - low.kb)) * (high[kind] - low[kind]);
  }
  const last = table[table.length - 1] as (typeof table)[number];
  return (last[kind] * kb) / last.kb;
}

/** Zipf probabilities for ranks 1..n, as the generator draws them. */
export function zipf(n: number, exponent: number): number[] {
  const weights = Array.from({ length: n }, (_, rank) => 1 / (rank + 1) ** exponent);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/** Expected distinct categories hit by `draws` independent draws from `probabilities`. */
export function expectedDistinct(probabilities: readonly number[], draws: number): number {
  return probabilities.reduce((sum, p) => sum + (1 - (1 - p) ** draws), 0);
}

export function roundUpTo(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

function nextPowerOfTwo(value: number): number {
  let power = 1;
  while (power < value) power *= 2;
  return power;
}

/** Bytes of a dedup record as the Cosmos adapter stores it, 19-digit ids (the worst case). */
export function dedupRecordBytes(systemPropertyBytes: number): number {
  const record = {
    id: '9223372036854775807',
    pk: '63',
    locationOid: '9223372036854775807',
    location: 'Market Square, North Side',
    cameraOid: '9223372036854775807',
    itemName: 'shopping trolley',
    timestampMs: 1_763_800_000_000,
    storedAt: '2026-11-22T10:00:00.000Z',
    ttl: 86_400,
  };
  return Buffer.byteLength(JSON.stringify(record)) + systemPropertyBytes;
}

/** Bytes of a counter document: `items` item counts and one watermark per dedup partition. */
export function counterDocumentBytes(items: number, dedupPartitions: number, systemPropertyBytes: number): number {
  const document = {
    id: 'counter|2026-11-22T10',
    type: 'counter',
    locationOid: '9223372036854775807',
    location: 'Market Square, North Side',
    window: '2026-11-22T10',
    items: Array.from({ length: items }, (_, index) => ({ name: `item name ${index}`.padEnd(12, 'x'), count: 1_234_567 })),
    total: 123_456_789,
    watermarks: Object.fromEntries(Array.from({ length: dedupPartitions }, (_, index) => [String(index), 123_456_789])),
    updatedAt: '2026-11-22T10:00:00.000Z',
    rowCount: 10,
  };
  return Buffer.byteLength(JSON.stringify(document)) + systemPropertyBytes;
}

/** A partition's cursor: id, pk, type, lastSequence, ttl (system properties added apart). */
const CURSOR_DOCUMENT_BYTES = 90;

/** Bytes of a tally summing `entries` (location, hour, item) counts over `locations` locations. */
export function tallyDocumentBytes(locations: number, entries: number, systemPropertyBytes: number): number {
  const count = ['2026-11-22T10', 'shopping trolley', 148];
  const location = { locationOid: '9223372036854775807', location: 'Market Square, North Side', counts: [] as unknown[] };
  const tally = {
    id: '63:123456789012',
    firstSequence: 123_456_789_012,
    lastSequence: 123_456_789_160,
    changes: 148,
    locations: [] as unknown[],
    pk: '63',
    type: 'tally',
  };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  // Each further element adds its own bytes and a comma.
  const perLocation = bytes(location) + 1;
  const perEntry = bytes(count) + 1;
  return bytes(tally) + locations * perLocation + entries * perEntry + systemPropertyBytes;
}

/** Bytes of one flat top-item row document. */
export function rowDocumentBytes(systemPropertyBytes: number): number {
  const row = {
    id: 'row|2026-11-22T10|10',
    type: 'topItem',
    locationOid: '9223372036854775807',
    geographical_location_oid: '9223372036854775807',
    geographical_location: 'Market Square, North Side',
    item_rank: 10,
    item_name: 'shopping trolley',
    item_count: 1_234_567,
    window: 'hour:2026-11-22T10',
    window_start: '2026-11-22T10:00:00.000Z',
    window_end: '2026-11-22T11:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
  };
  return Buffer.byteLength(JSON.stringify(row)) + systemPropertyBytes;
}

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------------
// The model

export function computeCapacity(inputs: CapacityInputs): CapacityResult {
  const { ru, prices } = inputs;
  const warnings: string[] = [];
  const eps = inputs.eventsPerSecond;
  const valid = eps * (1 - inputs.invalidRate);
  const duplicates = valid * inputs.duplicateRate;
  const stored = valid - duplicates;
  const ttlSeconds = inputs.ttlHours * 3600;
  const memoryGb = inputs.instanceMemoryMb / 1024;

  // Event Hubs
  const messages = eps / inputs.eventsPerMessage;
  const messageBytes = inputs.eventsPerMessage * inputs.eventBytes + (inputs.eventsPerMessage > 1 ? inputs.eventsPerMessage + 1 : 0);
  const ingressMb = (messages * messageBytes) / 1e6;
  const tuIngress = Math.max(ingressMb / TU_INGRESS_MB, messages / TU_INGRESS_EVENTS);
  // One reader (the Functions consumer group); Capture copies from storage and uses no egress quota.
  const tuEgress = Math.max(ingressMb / TU_EGRESS_MB, messages / TU_EGRESS_EVENTS);
  const throughputUnits = Math.max(1, Math.ceil(Math.max(tuIngress, tuEgress) - 1e-9));
  if (throughputUnits > EVENT_HUBS_STANDARD_MAX_TU) {
    warnings.push(
      `${throughputUnits} throughput units exceed the Standard tier's ${EVENT_HUBS_STANDARD_MAX_TU}: use Premium, or pack several detections per event (--events-per-message).`,
    );
  }

  // Functions: ingest scales to at most one instance per partition, so partitions bound it.
  const httpInstances = Math.max(1, Math.ceil(eps / inputs.httpEventsPerInstance));
  const ingestInstances = Math.max(1, Math.ceil(eps / inputs.ingestEventsPerInstance));
  const partitions =
    inputs.partitions ?? Math.min(EVENT_HUBS_STANDARD_MAX_PARTITIONS, nextPowerOfTwo(Math.max(4, throughputUnits, ingestInstances)));
  if (partitions < ingestInstances) {
    warnings.push(
      `${ingestInstances} ingest instances are needed but ${partitions} partitions allow at most ${partitions}: raise --partitions or the per-instance rate.`,
    );
  }
  if (partitions < throughputUnits)
    warnings.push(`${partitions} partitions are fewer than ${throughputUnits} throughput units: a partition carries about one TU.`);
  const ingestBatch = Math.max(1, Math.min(inputs.ingestBatchSize, (messages / partitions) * inputs.ingestMaxWaitSeconds));
  const ingestInvocations = messages / ingestBatch;
  const httpInvocations = eps / inputs.postBatchSize;

  // Cosmos DB: dedup container
  const dedupBytes = dedupRecordBytes(ru.systemPropertyBytes);
  const dedupKb = dedupBytes / KB;
  const createRu = documentedRu('write', dedupKb) + RU_PER_INDEX_TERM * ru.dedupIndexedTerms;
  const duplicateRu = ru.conflictRu + (ru.readOnDuplicate ? documentedRu('read', dedupKb) : 0);
  const ttlDeleteRu = createRu;
  const feedReadRu = documentedRu('read', dedupKb);
  const dedupCreates = stored * createRu;
  const dedupDuplicates = duplicates * duplicateRu;
  const dedupFeed = stored * feedReadRu;
  const dedupTtlNeed = stored * ttlDeleteRu;
  const dedupTtl = ru.provisionTtlDeletes ? dedupTtlNeed : 0;
  const dedupRu = dedupCreates + dedupDuplicates + dedupFeed + dedupTtl;
  const dedupItems = stored * ttlSeconds;
  const dedupStorageBytes = dedupItems * dedupBytes * (1 + ru.dedupIndexOverhead);
  const dedupStorageGb = dedupStorageBytes / GB;
  const perLogicalGb = dedupStorageGb / inputs.dedupPartitions;
  const maxStoredByLogicalSize =
    (COSMOS_MAX_LOGICAL_PARTITION_GB * GB * inputs.dedupPartitions) / (ttlSeconds * dedupBytes * (1 + ru.dedupIndexOverhead));
  if (perLogicalGb > COSMOS_MAX_LOGICAL_PARTITION_GB * 0.8) {
    warnings.push(
      `a dedup logical partition holds ${fmt(perLogicalGb, 1)} GB at the TTL, near or over the ${COSMOS_MAX_LOGICAL_PARTITION_GB} GB limit: raise DEDUP_PARTITIONS (before any record is stored) or shorten the TTL.`,
    );
  }
  const ruPerLogical = dedupRu / inputs.dedupPartitions;
  if (ruPerLogical > COSMOS_MAX_RU_PER_PARTITION * 0.5) {
    warnings.push(
      `a dedup logical partition needs ${fmt(ruPerLogical)} RU/s, over half the ${COSMOS_MAX_RU_PER_PARTITION} RU/s a partition serves: raise DEDUP_PARTITIONS.`,
    );
  }
  const dedupMax = autoscaleMaxWithTtl(dedupRu, dedupTtlNeed - dedupTtl, inputs.headroom);
  const physicalPartitions = Math.max(
    1,
    Math.ceil(dedupMax / COSMOS_MAX_RU_PER_PARTITION),
    Math.ceil(dedupStorageGb / COSMOS_PHYSICAL_PARTITION_GB),
  );
  const leases = Math.min(physicalPartitions, inputs.dedupPartitions);

  // Stage one (tally): each dedup lease reads its feed range and writes one tally per dedup partition
  // present in the batch. Detections hash evenly over DEDUP_PARTITIONS, and the partitions spread
  // evenly over the leases.
  const perLeaseRate = stored / leases;
  const tallyBatch = Math.max(1, Math.min(inputs.feedBatchSize, perLeaseRate * inputs.feedCycleSeconds));
  const tallyInvocations = stored / tallyBatch;
  const partitionsPerLease = inputs.dedupPartitions / leases;
  const partitionsPerTallyBatch = partitionsPerLease * (1 - (1 - 1 / partitionsPerLease) ** tallyBatch);
  const talliesPerSecond = tallyInvocations * partitionsPerTallyBatch;
  const changesPerTally = tallyBatch / partitionsPerTallyBatch;
  const locationP = zipf(inputs.locations, inputs.skew);
  const itemP = zipf(inputs.items, inputs.skew);
  const tallyLocations = expectedDistinct(locationP, changesPerTally);
  let tallyEntries = 0;
  for (const p of locationP) {
    for (const q of itemP) {
      tallyEntries += 1 - (1 - p * q * (1 - inputs.lateRate)) ** changesPerTally;
      tallyEntries += inputs.lateHours * (1 - (1 - (p * q * inputs.lateRate) / inputs.lateHours) ** changesPerTally);
    }
  }
  const tallyBytes = tallyDocumentBytes(tallyLocations, tallyEntries, ru.systemPropertyBytes);
  const tallyKb = tallyBytes / KB;
  const tallyCreateRu = documentedRu('write', tallyKb) + RU_PER_INDEX_TERM * ru.tallyIndexedTerms;
  // Each tally moves its partition's cursor in the same transactional batch: a point read of the
  // cursor first, then a conditional replace (a replace costs about a delete and an insert).
  const cursorKb = (CURSOR_DOCUMENT_BYTES + ru.systemPropertyBytes) / KB;
  const cursorRu = documentedRu('read', cursorKb) + 2 * documentedRu('write', cursorKb);
  const tallyAppendRu = tallyCreateRu + cursorRu;
  // The feed shows each tally and, in latest-version mode, the cursor's newest version: at most one
  // per tally.
  const tallyFeedReadRu = documentedRu('read', tallyKb) + documentedRu('read', cursorKb);
  const tallyTtlDeleteRu = tallyCreateRu;
  const talliesCreates = talliesPerSecond * tallyAppendRu;
  const talliesFeed = talliesPerSecond * tallyFeedReadRu;
  const talliesTtlNeed = talliesPerSecond * tallyTtlDeleteRu;
  const talliesTtl = ru.provisionTtlDeletes ? talliesTtlNeed : 0;
  const talliesRu = talliesCreates + talliesFeed + talliesTtl;
  const talliesMax = autoscaleMaxWithTtl(talliesRu, talliesTtlNeed - talliesTtl, inputs.headroom);
  const talliesStorageGb = (talliesPerSecond * inputs.talliesTtlHours * 3600 * tallyBytes * (1 + ru.dedupIndexOverhead)) / GB;
  const talliesPhysicalPartitions = Math.max(
    1,
    Math.ceil(talliesMax / COSMOS_MAX_RU_PER_PARTITION),
    Math.ceil(talliesStorageGb / COSMOS_PHYSICAL_PARTITION_GB),
  );
  const aggregateLeases = Math.min(talliesPhysicalPartitions, inputs.dedupPartitions);
  if (talliesPhysicalPartitions > 1) {
    warnings.push(
      `the tallies container needs ${talliesPhysicalPartitions} physical partitions (autoscale max ${fmt(talliesMax)} RU/s, ${fmt(talliesStorageGb, 1)} GB at a ${inputs.talliesTtlHours} h TTL; one holds ${fmt(COSMOS_MAX_RU_PER_PARTITION)} RU/s and ${COSMOS_PHYSICAL_PARTITION_GB} GB): the aggregate trigger gets ${aggregateLeases} leases and every counter that many writers racing on etags. Shorten the tallies TTL or lengthen the feed cycle.`,
    );
  }

  // Stage two (aggregate): the tallies feed, one lease per physical partition of the tallies
  // container (one by design), commits each (location, window) an aggregate batch touches once.
  const talliesPerAggregateLease = talliesPerSecond / aggregateLeases;
  const aggregateBatch = Math.max(1, Math.min(inputs.feedBatchSize, talliesPerAggregateLease * inputs.feedCycleSeconds));
  const aggregateInvocations = talliesPerSecond / aggregateBatch;
  const changesPerAggregateBatch = stored / Math.max(aggregateInvocations, 1e-12);
  const onTime = changesPerAggregateBatch * (1 - inputs.lateRate);
  const late = changesPerAggregateBatch * inputs.lateRate;
  const rowsHit = (changes: number) => itemP.slice(0, inputs.materializedTop).reduce((sum, p) => sum + (1 - (1 - p) ** changes), 0);
  let commits = 0;
  let rowWrites = 0;
  for (const p of locationP) {
    const touchedAll = 1 - (1 - p) ** changesPerAggregateBatch;
    const touchedHour = 1 - (1 - p) ** onTime;
    // Late changes of a location spread over lateHours hour counters.
    const lateCell = p / inputs.lateHours;
    const touchedLate = inputs.lateHours * (1 - (1 - lateCell) ** late);
    commits += touchedAll + touchedHour + touchedLate;
    // Rows change where a top-X item received a change; conditional on the counter being touched.
    rowWrites += touchedAll * Math.min(inputs.materializedTop, rowsHit(Math.max(1, changesPerAggregateBatch * p)));
    rowWrites += touchedHour * Math.min(inputs.materializedTop, rowsHit(Math.max(1, onTime * p)));
    rowWrites += touchedLate * 1;
  }
  const counterBytes = counterDocumentBytes(inputs.items, inputs.dedupPartitions, ru.systemPropertyBytes);
  const counterKb = counterBytes / KB;
  const rowBytes = rowDocumentBytes(ru.systemPropertyBytes);
  const rowKb = rowBytes / KB;
  const counterReadRu = documentedRu('read', counterKb);
  // A replace (and an upsert over an existing document) deletes and inserts: about twice a create.
  const counterReplaceRu = 2 * documentedRu('write', counterKb) + 2 * RU_PER_INDEX_TERM * ru.counterChangedTerms;
  const rowUpsertRu = 2 * documentedRu('write', rowKb) + 2 * RU_PER_INDEX_TERM * ru.rowChangedTerms;
  const rowsPerCommit = inputs.flatRows && commits > 0 ? rowWrites / commits : 0;
  const commitRu = counterReadRu + counterReplaceRu + rowsPerCommit * rowUpsertRu;
  // One aggregate lease is one writer per counter: no races. Only a split tallies container brings them back.
  const retryShare = Math.min(0.9, ((aggregateLeases - 1) * ru.commitWindowSeconds) / Math.max(inputs.feedCycleSeconds, 0.001));
  const commitsPerSecond = aggregateInvocations * commits;
  const aggregationRu = commitsPerSecond * commitRu * (1 + retryShare);
  const aggregationRuPerChange = stored > 0 ? aggregationRu / stored : 0;

  // Metrics document: one patch per ingest invocation and per POST (accepted); one hot logical partition.
  const metricsPatchRu = 2 * documentedRu('write', 0.5) + 2 * RU_PER_INDEX_TERM * 3 + ru.patchBaseRuPerOperation * 3;
  const metricsRu = (ingestInvocations + httpInvocations) * metricsPatchRu;
  if (metricsRu > COSMOS_MAX_RU_PER_PARTITION * 0.5) {
    warnings.push(
      `the metrics document needs ${fmt(metricsRu)} RU/s in one logical partition (limit ${COSMOS_MAX_RU_PER_PARTITION}): batch larger or shard the metrics.`,
    );
  }
  const queryRu = inputs.queryRps * inputs.locations * counterReadRu;
  const topItemsRu = aggregationRu + metricsRu + queryRu;
  const hourlyCounters = inputs.locations * 24 * inputs.counterRetentionDays;
  const topItemsStorageGb = ((inputs.locations + hourlyCounters) * (counterBytes + inputs.materializedTop * rowBytes) * 2) / GB;

  // Leases container: both triggers checkpoint after every invocation and renew each lease every 17 s.
  const leaseRu = 2 * documentedRu('write', ru.leaseKb) + 2 * RU_PER_INDEX_TERM * ru.leaseChangedTerms;
  const checkpoints = tallyInvocations + aggregateInvocations;
  const leasesRu = (checkpoints + (leases + aggregateLeases) / LEASE_RENEW_SECONDS) * leaseRu;

  const containers: ContainerThroughput[] = [
    { name: 'dedup', ruPerSecond: dedupRu, autoscaleMaxRu: dedupMax },
    { name: 'tallies', ruPerSecond: talliesRu, autoscaleMaxRu: talliesMax },
    { name: 'topitems', ruPerSecond: topItemsRu, autoscaleMaxRu: autoscaleMax(topItemsRu, inputs.headroom) },
    { name: 'leases', ruPerSecond: leasesRu, autoscaleMaxRu: autoscaleMax(leasesRu, inputs.headroom) },
  ];
  const totalRu = containers.reduce((sum, container) => sum + container.ruPerSecond, 0);
  const totalMax = containers.reduce((sum, container) => sum + container.autoscaleMaxRu, 0);
  const ttlDeletesTotalRu = dedupTtl + talliesTtl;
  const referenceRu = (REFERENCE.provisionedRu * eps) / REFERENCE.eventsPerSecond;

  // Capture
  const captureBytesPerDay = messages * SECONDS_PER_DAY * (messageBytes + inputs.captureRecordOverheadBytes);
  const captureGbPerDay = captureBytesPerDay / GB;
  const captureStoredGb = captureGbPerDay * inputs.captureRetentionDays;

  // Functions
  const tallyInstances = Math.min(leases, Math.max(1, Math.ceil(stored / inputs.tallyChangesPerInstance)));
  // A Cosmos DB trigger runs at most one instance per lease.
  const aggregateInstances = aggregateLeases;
  const functionInstances = httpInstances + ingestInstances + tallyInstances + aggregateInstances;
  const gbSeconds = functionInstances * memoryGb * SECONDS_PER_MONTH;
  const invocations = httpInvocations + ingestInvocations + tallyInvocations + aggregateInvocations;
  const executions = invocations * SECONDS_PER_MONTH;

  // Monthly cost
  const costEventHubs =
    throughputUnits * HOURS_PER_MONTH * prices.eventHubsTuHour + ((messages * SECONDS_PER_MONTH) / 1e6) * prices.eventHubsIngressPerMillion;
  const costCapture = throughputUnits * HOURS_PER_MONTH * prices.eventHubsCaptureTuHour;
  // Autoscale bills the highest RU/s reached in each hour; a steady load keeps it near the need (at least 10 % of max).
  const billedRu = containers.reduce((sum, container) => sum + Math.max(container.ruPerSecond, container.autoscaleMaxRu * 0.1), 0);
  const costCosmosThroughput = (billedRu / 100) * HOURS_PER_MONTH * prices.cosmosAutoscalePer100RuHour;
  const costCosmosManual = (totalMax / 100) * HOURS_PER_MONTH * prices.cosmosManualPer100RuHour;
  const cosmosStorageGb = dedupStorageGb + talliesStorageGb + topItemsStorageGb;
  const costCosmosStorage = cosmosStorageGb * prices.cosmosStorageGbMonth;
  const costFunctions =
    Math.max(0, gbSeconds - prices.flexFreeGbSeconds) * prices.flexGbSecond +
    (Math.max(0, executions - prices.flexFreeExecutions) / 1e6) * prices.flexPerMillionExecutions;
  const costBlob = captureStoredGb * prices.blobHotGbMonth;
  const monthlyCost = costEventHubs + costCapture + costCosmosThroughput + costCosmosStorage + costFunctions + costBlob;

  const price = (name: keyof Prices) => `${String(prices[name])} ${prices.currency}`;
  const sections: Section[] = [
    {
      title: 'Load',
      figures: [
        { name: 'events received', value: eps, unit: 'events/s', basis: 'input (duplicates and invalid events included)' },
        { name: 'valid events', value: valid, unit: 'events/s', basis: `invalid rate ${inputs.invalidRate}` },
        {
          name: 'duplicates',
          value: duplicates,
          unit: 'events/s',
          basis: `duplicate rate ${inputs.duplicateRate} of valid events; all reach the store (copies inside one batch are settled in memory, ignored here)`,
        },
        {
          name: 'stored detections',
          value: stored,
          unit: 'changes/s',
          basis: 'valid minus duplicates: creates in the dedup container and changes on its feed',
        },
      ],
    },
    {
      title: 'Event Hubs (Standard)',
      figures: [
        {
          name: 'Event Hubs events',
          value: messages,
          unit: 'events/s',
          basis: `${inputs.eventsPerMessage} detection(s) per Event Hubs event (the publisher sends one per event)`,
        },
        { name: 'ingress', value: ingressMb, unit: 'MB/s', basis: `${messageBytes} B per Event Hubs event` },
        {
          name: 'throughput units',
          value: throughputUnits,
          unit: 'TU',
          basis: `max of ingress (1 MB/s or 1,000 events/s per TU: ${fmt(tuIngress, 2)}) and egress to one consumer group (2 MB/s or 4,096 events/s per TU: ${fmt(tuEgress, 2)}); Capture uses no egress quota`,
        },
        {
          name: 'partitions',
          value: partitions,
          unit: 'partitions',
          basis:
            inputs.partitions === undefined
              ? 'at least the TUs and the ingest instances (one instance per partition at most), power of two, Standard max 32'
              : 'input',
        },
        {
          name: 'ingest batch',
          value: ingestBatch,
          unit: 'events/invocation',
          basis: `maxEventBatchSize ${inputs.ingestBatchSize}, or what one partition receives in maxWaitTime ${inputs.ingestMaxWaitSeconds} s`,
        },
      ],
    },
    {
      title: 'Functions (Flex Consumption)',
      figures: [
        {
          name: 'events (HTTP) instances',
          value: httpInstances,
          unit: 'instances',
          basis: `${fmt(inputs.httpEventsPerInstance)} events/s per ${inputs.instanceMemoryMb} MB instance (assumption: validate, serialize, publish)`,
        },
        {
          name: 'ingest instances',
          value: ingestInstances,
          unit: 'instances',
          basis: `${fmt(inputs.ingestEventsPerInstance)} events/s per instance (assumption: one Cosmos create per event, 32 in flight)`,
        },
        {
          name: 'tally instances',
          value: tallyInstances,
          unit: 'instances',
          basis: `${fmt(inputs.tallyChangesPerInstance)} changes/s per instance (assumption), at most one per dedup lease (${leases} leases)`,
        },
        {
          name: 'aggregate instances',
          value: aggregateInstances,
          unit: 'instances',
          basis: `one per lease of the tallies feed (${aggregateLeases})`,
        },
        {
          name: 'invocations',
          value: invocations,
          unit: 'invocations/s',
          basis: `POSTs of ${inputs.postBatchSize} events, ingest batches, tally batches, aggregate batches`,
        },
        {
          name: 'execution time',
          value: gbSeconds,
          unit: 'GB-s/month',
          basis: `instances × ${fmt(memoryGb, 1)} GB × ${HOURS_PER_MONTH} h, busy all the time at a steady load`,
        },
      ],
    },
    {
      title: 'Cosmos DB request units per operation',
      figures: [
        { name: 'dedup record', value: dedupBytes, unit: 'bytes', basis: '19-digit ids, with system properties' },
        {
          name: 'dedup create',
          value: createRu,
          unit: 'RU',
          basis: `documented write of a ≤1 KB item (4.95 RU) + ${RU_PER_INDEX_TERM} RU × ${ru.dedupIndexedTerms} indexed terms (indexing policy excludes every path)`,
        },
        {
          name: 'duplicate',
          value: duplicateRu,
          unit: 'RU',
          basis: `create failing with 409 (${ru.conflictRu} RU: undocumented assumption, measure it)${ru.readOnDuplicate ? ' + a point read of the stored copy to count conflicts (1 RU)' : ''}; never an upsert`,
        },
        {
          name: 'change-feed read',
          value: feedReadRu,
          unit: 'RU per change',
          basis: 'documented: a feed costs about as much as reading its documents one by one',
        },
        {
          name: 'TTL delete',
          value: ttlDeleteRu,
          unit: 'RU',
          basis: 'a delete of the same item; Cosmos DB runs TTL deletion in the background, in the RU/s user requests leave over',
        },
        {
          name: 'tally document',
          value: tallyBytes,
          unit: 'bytes',
          basis: `${fmt(changesPerTally)} changes summed into ${fmt(tallyEntries)} (location, hour, item) entries over ${fmt(tallyLocations)} locations (expected distinct), with system properties`,
        },
        {
          name: 'tally create',
          value: tallyCreateRu,
          unit: 'RU',
          basis: `documented write of a ${fmt(tallyKb, 1)} KB item (interpolated) + ${RU_PER_INDEX_TERM} RU × ${ru.tallyIndexedTerms} indexed terms, in a transactional batch with the cursor's conditional replace; a lost race (412) only when two instances hold one lease`,
        },
        {
          name: 'tally cursor move',
          value: cursorRu,
          unit: 'RU',
          basis: `point read of the partition's cursor (${fmt(cursorKb * KB)} B) + its conditional replace (about a delete and an insert), in the tally's transactional batch`,
        },
        {
          name: 'tally feed read',
          value: tallyFeedReadRu,
          unit: 'RU per tally',
          basis: 'the aggregate trigger reading the tallies feed: about a point read of each tally and of at most one cursor version',
        },
        {
          name: 'counter document',
          value: counterBytes,
          unit: 'bytes',
          basis: `${inputs.items} item counts and ${inputs.dedupPartitions} watermarks (DEDUP_PARTITIONS)`,
        },
        { name: 'row document', value: rowBytes, unit: 'bytes', basis: 'one flat top-item row for Power BI' },
        {
          name: 'counter commit',
          value: commitRu,
          unit: 'RU',
          basis: `point read ${fmt(counterReadRu, 2)} + conditional replace ${fmt(counterReplaceRu, 2)} + ${fmt(rowsPerCommit, 2)} changed rows × upsert ${fmt(rowUpsertRu, 2)}, one transactional batch (charge = sum of its operations)`,
        },
        { name: 'lease checkpoint', value: leaseRu, unit: 'RU', basis: `replace of a ${ru.leaseKb} KB lease after every invocation` },
      ],
    },
    {
      title: 'Stage one: tally (dedup change feed → one tally per dedup partition per batch)',
      figures: [
        {
          name: 'dedup leases',
          value: leases,
          unit: 'leases',
          basis: `one per physical partition of the dedup container (${physicalPartitions}: autoscale max / 10,000 RU/s, or storage / 50 GB)`,
        },
        {
          name: 'partitions per lease',
          value: partitionsPerLease,
          unit: 'dedup partitions',
          basis: `${inputs.dedupPartitions} DEDUP_PARTITIONS spread evenly over ${leases} leases`,
        },
        {
          name: 'tally batch',
          value: tallyBatch,
          unit: 'changes',
          basis: `min(maxItemsPerInvocation ${inputs.feedBatchSize}, ${fmt(perLeaseRate)} changes/s per lease × ${inputs.feedCycleSeconds} s between batches)`,
        },
        {
          name: 'tally batches',
          value: tallyInvocations,
          unit: 'batches/s',
          basis: `${fmt(tallyInvocations / leases, 2)} per lease per second`,
        },
        {
          name: 'partitions per tally batch',
          value: partitionsPerTallyBatch,
          unit: 'tallies/batch',
          basis: `expected dedup partitions present in a batch of ${fmt(tallyBatch)} (detections hash evenly over partitions)`,
        },
        {
          name: 'tallies',
          value: talliesPerSecond,
          unit: 'tallies/s',
          basis: `dedup leases × batches per lease per second × partitions present per batch`,
        },
      ],
    },
    {
      title: 'Stage two: aggregate (tallies change feed → counters, one writer)',
      figures: [
        {
          name: 'tallies leases',
          value: aggregateLeases,
          unit: 'leases',
          basis: `one per physical partition of the tallies container (${talliesPhysicalPartitions}: autoscale max / 10,000 RU/s, or storage / 50 GB); one lease = one writer per counter`,
        },
        {
          name: 'aggregate batch',
          value: aggregateBatch,
          unit: 'tallies',
          basis: `min(maxItemsPerInvocation ${inputs.feedBatchSize}, ${fmt(talliesPerAggregateLease)} tallies/s per lease × ${inputs.feedCycleSeconds} s between batches)`,
        },
        {
          name: 'aggregate batches',
          value: aggregateInvocations,
          unit: 'batches/s',
          basis: `${fmt(changesPerAggregateBatch)} detections per batch, whatever the number of dedup leases`,
        },
        {
          name: 'commits per batch',
          value: commits,
          unit: 'commits',
          basis: `expected distinct (location, window) pairs: all-time, the current hour, and late hours (Zipf ${inputs.skew} over ${inputs.locations} locations, ${inputs.lateRate} late over ${inputs.lateHours} h)`,
        },
        {
          name: 'counter commits',
          value: commitsPerSecond,
          unit: 'commits/s',
          basis: 'aggregate batches × commits per batch: each counter once per batch',
        },
        {
          name: 'etag retries',
          value: retryShare,
          unit: 'share of commits',
          basis:
            aggregateLeases === 1
              ? 'one writer per counter: no race to lose'
              : `${aggregateLeases} writers fold the same counters; a race is lost when another commits within ${ru.commitWindowSeconds} s of a ${inputs.feedCycleSeconds} s cycle`,
        },
        {
          name: 'aggregation per stored detection',
          value: aggregationRuPerChange,
          unit: 'RU',
          basis: 'counter commits × commit RU × (1 + retries) / stored detections (tallies are counted in their own container)',
        },
        {
          name: 'delay to the counters',
          value: 2 * inputs.feedCycleSeconds,
          unit: 's',
          basis: `two change-feed hops (dedup → tally, tallies → aggregate), each up to ${inputs.feedCycleSeconds} s between batches; processing time not included`,
        },
      ],
    },
    {
      title: 'Cosmos DB throughput per container',
      figures: [
        { name: 'dedup: creates', value: dedupCreates, unit: 'RU/s', basis: `${fmt(stored)} creates/s × ${fmt(createRu, 2)} RU` },
        {
          name: 'dedup: duplicates',
          value: dedupDuplicates,
          unit: 'RU/s',
          basis: `${fmt(duplicates)} duplicates/s × ${fmt(duplicateRu, 2)} RU`,
        },
        {
          name: 'dedup: change feed',
          value: dedupFeed,
          unit: 'RU/s',
          basis: `${fmt(stored)} changes/s × ${fmt(feedReadRu, 2)} RU, read by the tally trigger`,
        },
        {
          name: 'dedup: TTL deletes',
          value: dedupTtl,
          unit: 'RU/s',
          basis: ru.provisionTtlDeletes
            ? `${fmt(stored)} expiries/s × ${fmt(ttlDeleteRu, 2)} RU at steady state (Cosmos DB runs them in left-over RU/s; counted here as if there were none)`
            : `not counted (--no-ttl-deletes): ${fmt(stored)} expiries/s × ${fmt(ttlDeleteRu, 2)} RU = ${fmt(dedupTtlNeed)} RU/s run in the RU/s user requests leave over, which the autoscale max keeps`,
        },
        {
          name: 'dedup container',
          value: dedupRu,
          unit: 'RU/s',
          basis: ru.provisionTtlDeletes
            ? `autoscale max ${fmt(dedupMax)} RU/s (× ${inputs.headroom} headroom, rounded up to 1,000)`
            : `autoscale max ${fmt(dedupMax)} RU/s: the larger of × ${inputs.headroom} headroom and need + TTL deletes, rounded up to 1,000`,
        },
        {
          name: 'tallies: appends',
          value: talliesCreates,
          unit: 'RU/s',
          basis: `${fmt(talliesPerSecond, 1)} tallies/s × (${fmt(tallyCreateRu, 2)} RU create + ${fmt(cursorRu, 2)} RU cursor read and conditional replace)`,
        },
        {
          name: 'tallies: change feed',
          value: talliesFeed,
          unit: 'RU/s',
          basis: `${fmt(talliesPerSecond, 1)} tallies/s × ${fmt(tallyFeedReadRu, 2)} RU (the tally and at most one cursor version), read by the aggregate trigger`,
        },
        {
          name: 'tallies: TTL deletes',
          value: talliesTtl,
          unit: 'RU/s',
          basis: ru.provisionTtlDeletes
            ? `${fmt(talliesPerSecond, 1)} expiries/s × ${fmt(tallyTtlDeleteRu, 2)} RU at steady state (left-over RU/s, counted as for dedup)`
            : `not counted (--no-ttl-deletes): ${fmt(talliesTtlNeed)} RU/s in left-over RU/s, kept in the autoscale max`,
        },
        {
          name: 'tallies container',
          value: talliesRu,
          unit: 'RU/s',
          basis: `autoscale max ${fmt(talliesMax)} RU/s; must stay ≤ ${fmt(COSMOS_MAX_RU_PER_PARTITION)} RU/s and < ${COSMOS_PHYSICAL_PARTITION_GB} GB: one physical partition, one aggregate lease`,
        },
        {
          name: 'topitems: counter commits',
          value: aggregationRu,
          unit: 'RU/s',
          basis: `${fmt(commitsPerSecond, 1)} commits/s × ${fmt(commitRu, 1)} RU × ${fmt(1 + retryShare, 2)}`,
        },
        {
          name: 'topitems: metrics patches',
          value: metricsRu,
          unit: 'RU/s',
          basis: `${fmt(ingestInvocations + httpInvocations, 1)} patches/s × ${fmt(metricsPatchRu, 1)} RU (one patch per batch, not per event)`,
        },
        {
          name: 'topitems: queries',
          value: queryRu,
          unit: 'RU/s',
          basis: `${inputs.queryRps} all-locations queries/s reading ${inputs.locations} counters`,
        },
        {
          name: 'topitems container',
          value: topItemsRu,
          unit: 'RU/s',
          basis: `autoscale max ${fmt(autoscaleMax(topItemsRu, inputs.headroom))} RU/s`,
        },
        {
          name: 'leases container',
          value: leasesRu,
          unit: 'RU/s',
          basis: `${fmt(checkpoints, 1)} checkpoints/s (tally ${fmt(tallyInvocations, 1)} + aggregate ${fmt(aggregateInvocations, 1)}) + renewals of ${leases + aggregateLeases} leases every ${LEASE_RENEW_SECONDS} s, × ${fmt(leaseRu, 1)} RU; autoscale max ${fmt(autoscaleMax(leasesRu, inputs.headroom))}`,
        },
        {
          name: 'all containers',
          value: totalRu,
          unit: 'RU/s',
          basis: `${fmt(totalRu / eps, 2)} RU per received event; autoscale max in total ${fmt(totalMax)} RU/s; ${ru.provisionTtlDeletes ? `TTL deletes counted (${fmt(ttlDeletesTotalRu)} RU/s)` : 'TTL deletes not counted'}`,
        },
        {
          name: 'reference deployment',
          value: referenceRu,
          unit: 'RU/s',
          basis: `streaming-at-scale provisions ${fmt(REFERENCE.provisionedRu)} RU/s for ${fmt(REFERENCE.eventsPerSecond)} events/s (upsert of ~1 KB, ~${REFERENCE.ruPerWrite} RU each, no expiry); our steady need is ${fmt((100 * totalRu) / referenceRu)} % of it, our autoscale max ${fmt((100 * totalMax) / referenceRu)} %`,
        },
      ],
    },
    {
      title: 'Storage',
      figures: [
        {
          name: 'dedup records at the TTL',
          value: dedupItems,
          unit: 'items',
          basis: `${fmt(stored)} stored/s × ${inputs.ttlHours} h (the TTL runs from first storage)`,
        },
        {
          name: 'dedup storage',
          value: dedupStorageGb,
          unit: 'GB',
          basis: `${dedupBytes} B per record + ${ru.dedupIndexOverhead * 100} % index`,
        },
        {
          name: 'per dedup logical partition',
          value: perLogicalGb,
          unit: 'GB',
          basis: `${inputs.dedupPartitions} partitions (DEDUP_PARTITIONS); limit ${COSMOS_MAX_LOGICAL_PARTITION_GB} GB, reached at ${fmt(maxStoredByLogicalSize)} stored/s`,
        },
        {
          name: 'tallies storage',
          value: talliesStorageGb,
          unit: 'GB',
          basis: `${fmt(talliesPerSecond, 1)} tallies/s × ${fmt(tallyBytes)} B × ${inputs.talliesTtlHours} h TTL + ${ru.dedupIndexOverhead * 100} % index; one physical partition holds ${COSMOS_PHYSICAL_PARTITION_GB} GB`,
        },
        {
          name: 'topitems storage',
          value: topItemsStorageGb,
          unit: 'GB',
          basis: `counters and rows, hourly counters kept ${inputs.counterRetentionDays} days, ×2 for index`,
        },
        {
          name: 'capture per day',
          value: captureGbPerDay,
          unit: 'GB/day',
          basis: `${messageBytes} B body + ${inputs.captureRecordOverheadBytes} B Avro record overhead per Event Hubs event, uncompressed`,
        },
        {
          name: 'capture kept',
          value: captureStoredGb,
          unit: 'GB',
          basis: `${inputs.captureRetentionDays} days (lifecycle rule on the capture container)`,
        },
      ],
    },
    {
      title: `Monthly cost (${prices.region}, ${prices.currency}; ${prices.asOf})`,
      figures: [
        {
          name: 'Event Hubs',
          value: costEventHubs,
          unit: prices.currency,
          basis: `${throughputUnits} TU × ${price('eventHubsTuHour')}/h + ingress ${price('eventHubsIngressPerMillion')} per million events`,
        },
        {
          name: 'Event Hubs Capture',
          value: costCapture,
          unit: prices.currency,
          basis: `${throughputUnits} TU × ${price('eventHubsCaptureTuHour')}/h`,
        },
        {
          name: 'Cosmos DB throughput (autoscale)',
          value: costCosmosThroughput,
          unit: prices.currency,
          basis: `billed at the steady need ${fmt(billedRu)} RU/s × ${price('cosmosAutoscalePer100RuHour')} per 100 RU/s-hour (manual at the autoscale max would be ${fmt(costCosmosManual)})${ru.provisionTtlDeletes ? '' : '; assumes the background TTL deletes do not raise the RU/s autoscale bills (not documented: check the bill)'}`,
        },
        {
          name: 'Cosmos DB storage',
          value: costCosmosStorage,
          unit: prices.currency,
          basis: `${fmt(cosmosStorageGb, 1)} GB × ${price('cosmosStorageGbMonth')}/GB-month`,
        },
        {
          name: 'Functions',
          value: costFunctions,
          unit: prices.currency,
          basis: `${fmt(gbSeconds)} GB-s × ${price('flexGbSecond')} + ${fmt(executions / 1e6, 1)} M executions × ${price('flexPerMillionExecutions')}/M, after free grants`,
        },
        {
          name: 'Capture storage (Blob, hot LRS)',
          value: costBlob,
          unit: prices.currency,
          basis: `${fmt(captureStoredGb)} GB × ${price('blobHotGbMonth')}/GB-month`,
        },
        {
          name: 'total',
          value: monthlyCost,
          unit: prices.currency,
          basis: 'excludes Application Insights, bandwidth, Dataset B and dead-letter storage',
        },
      ],
    },
  ];

  return {
    inputs,
    sections,
    containers,
    totals: {
      ruPerSecond: totalRu,
      ttlDeleteRuPerSecond: ttlDeletesTotalRu,
      autoscaleMaxRu: totalMax,
      ruPerEvent: totalRu / eps,
      monthlyCost,
      throughputUnits,
      partitions,
      functionInstances,
    },
    warnings,
  };
}

function autoscaleMax(ruPerSecond: number, headroom: number): number {
  return Math.max(1000, roundUpTo(ruPerSecond * headroom, 1000));
}

/**
 * TTL deletions left out of the need still run in the RU/s user requests leave over: when there are
 * too few, deletion lags, and at a steady expiry rate the backlog (and the storage) never stops growing.
 * So the max leaves room for them at the steady need, though not with headroom: they can wait out a burst.
 */
function autoscaleMaxWithTtl(ruPerSecond: number, uncountedTtlRu: number, headroom: number): number {
  const withHeadroom = autoscaleMax(ruPerSecond, headroom);
  return uncountedTtlRu > 0 ? Math.max(withHeadroom, roundUpTo(ruPerSecond + uncountedTtlRu, 1000)) : withHeadroom;
}

export function formatReport(result: CapacityResult): string {
  const lines: string[] = [];
  for (const section of result.sections) {
    lines.push(`== ${section.title}`);
    const width = Math.max(...section.figures.map((figure) => figure.name.length));
    for (const figure of section.figures) {
      const digits = Math.abs(figure.value) < 10 && figure.value !== Math.round(figure.value) ? 2 : 0;
      const value = `${fmt(figure.value, digits)} ${figure.unit}`;
      lines.push(`  ${figure.name.padEnd(width)}  ${value.padStart(22)}   ${figure.basis}`);
    }
    lines.push('');
  }
  lines.push('== Recommended autoscale max RU/s');
  for (const container of result.containers)
    lines.push(
      `  ${container.name.padEnd(9)} ${fmt(container.autoscaleMaxRu).padStart(9)} RU/s   (steady need ${fmt(container.ruPerSecond)} RU/s)`,
    );
  if (result.warnings.length > 0) {
    lines.push('', '== Warnings');
    for (const warning of result.warnings) lines.push(`  ! ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Command line

const PRICE_NAMES = Object.keys(DEFAULT_PRICES).filter((name) => typeof DEFAULT_PRICES[name as keyof Prices] === 'number');

export const CAPACITY_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'events-per-second',
    kind: 'number',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.eventsPerSecond,
    description: 'Events received per second.',
  },
  {
    name: 'duplicate-rate',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: DEFAULT_INPUTS.duplicateRate,
    description: 'Share of valid events that repeat an earlier detection.',
  },
  {
    name: 'invalid-rate',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: DEFAULT_INPUTS.invalidRate,
    description: 'Share of events that are invalid.',
  },
  {
    name: 'late-rate',
    kind: 'fraction',
    placeholder: '<0..1>',
    default: DEFAULT_INPUTS.lateRate,
    description: 'Share of detections stamped in an earlier hour.',
  },
  {
    name: 'ttl-hours',
    kind: 'number',
    min: 1,
    placeholder: '<h>',
    default: DEFAULT_INPUTS.ttlHours,
    description: 'Dedup horizon (TTL of the dedup container).',
  },
  {
    name: 'tallies-ttl-hours',
    kind: 'number',
    min: 0.1,
    placeholder: '<h>',
    default: DEFAULT_INPUTS.talliesTtlHours,
    description: 'TTL of the tallies container: how long the aggregate function may stall without losing counts.',
  },
  {
    name: 'locations',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.locations,
    description: 'Locations sending detections.',
  },
  {
    name: 'items',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.items,
    description: 'Distinct item names per location.',
  },
  {
    name: 'skew',
    kind: 'number',
    min: 0,
    max: 10,
    placeholder: '<s>',
    default: DEFAULT_INPUTS.skew,
    description: 'Zipf exponent of location and item popularity (0 = uniform).',
  },
  {
    name: 'batch-size',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.postBatchSize,
    description: 'Events per POST /api/events.',
  },
  {
    name: 'event-bytes',
    kind: 'integer',
    min: 50,
    placeholder: '<B>',
    default: DEFAULT_INPUTS.eventBytes,
    description: 'JSON bytes of one detection.',
  },
  {
    name: 'events-per-message',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.eventsPerMessage,
    description: 'Detections packed in one Event Hubs event.',
  },
  {
    name: 'ingest-batch',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.ingestBatchSize,
    description: 'Event Hubs trigger maxEventBatchSize (host.json).',
  },
  {
    name: 'partitions',
    kind: 'integer',
    min: 1,
    max: 1024,
    placeholder: '<n>',
    description: 'Event hub partitions (computed when omitted).',
  },
  {
    name: 'dedup-partitions',
    kind: 'integer',
    min: 1,
    max: 10_000,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.dedupPartitions,
    description: 'DEDUP_PARTITIONS: logical partitions of the dedup container.',
  },
  {
    name: 'top',
    kind: 'integer',
    min: 1,
    max: 100,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.materializedTop,
    description: 'MATERIALIZED_TOP: rows kept per counter.',
  },
  {
    name: 'no-flat-rows',
    kind: 'flag',
    description: 'Keep the top rows inside the counter document instead of one row document per rank.',
  },
  {
    name: 'feed-batch',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.feedBatchSize,
    description: 'maxItemsPerInvocation of both Cosmos DB triggers (tally, aggregate).',
  },
  {
    name: 'feed-cycle-seconds',
    kind: 'number',
    min: 0.01,
    placeholder: '<s>',
    default: DEFAULT_INPUTS.feedCycleSeconds,
    description: 'Time between change-feed batches of one lease that keeps up (feedPollDelay is 1 s).',
  },
  {
    name: 'instance-memory-mb',
    kind: 'integer',
    min: 512,
    placeholder: '<MB>',
    default: DEFAULT_INPUTS.instanceMemoryMb,
    description: 'Flex Consumption instance memory (2048 or 4096).',
  },
  {
    name: 'http-events-per-instance',
    kind: 'number',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.httpEventsPerInstance,
    description: 'Events/s one instance accepts over HTTP (assumption).',
  },
  {
    name: 'ingest-events-per-instance',
    kind: 'number',
    min: 1,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.ingestEventsPerInstance,
    description: 'Events/s one instance ingests (assumption).',
  },
  {
    name: 'headroom',
    kind: 'number',
    min: 1,
    placeholder: '<x>',
    default: DEFAULT_INPUTS.headroom,
    description: 'Autoscale max RU/s over the steady need.',
  },
  {
    name: 'conflict-ru',
    kind: 'number',
    min: 0,
    placeholder: '<RU>',
    default: DEFAULT_RU_ASSUMPTIONS.conflictRu,
    description: 'RU of a create rejected with 409 (undocumented; measure it).',
  },
  {
    name: 'no-ttl-deletes',
    kind: 'flag',
    description: 'Leave TTL deletions out of the provisioned throughput (Cosmos DB runs them in left-over RU/s).',
  },
  {
    name: 'capture-retention-days',
    kind: 'integer',
    min: 1,
    placeholder: '<d>',
    default: DEFAULT_INPUTS.captureRetentionDays,
    description: 'Days capture files are kept.',
  },
  {
    name: 'query-rps',
    kind: 'number',
    min: 0,
    placeholder: '<n>',
    default: DEFAULT_INPUTS.queryRps,
    description: 'All-locations top-items queries per second.',
  },
  {
    name: 'region-prices',
    kind: 'string',
    placeholder: '<file.json|name=value,...>',
    description: `Override unit prices: a JSON file, or name=value pairs (${PRICE_NAMES.join(', ')}, region, currency, asOf).`,
  },
  { name: 'json', kind: 'flag', description: 'Print the result as JSON.' },
];

export const CAPACITY_HELP = {
  usage: 'npm run capacity -- [options]',
  summary:
    'Estimates the Azure deployment at a given event rate: Event Hubs throughput units and partitions, Function instances, Cosmos DB RU/s per container (with the RU of each operation of the dedup and two-stage aggregation scheme), storage at the TTLs, capture storage per day and a monthly cost. Each figure names its assumption; see docs/capacity.md for the sources.',
  options: CAPACITY_OPTIONS,
  examples: [
    'npm run capacity -- --events-per-second 10000 --duplicate-rate 0.05 --ttl-hours 24',
    'npm run capacity -- --events-per-second 100000 --events-per-message 50 --region-prices cosmosAutoscalePer100RuHour=0.015,region="West Europe"',
  ],
  notes: ['Prices default to East US pay-as-you-go list prices as recalled for 2025: they are assumptions, check them before use.'],
};

/** Reads price overrides: a JSON object file, or comma-separated name=value pairs. */
export function parsePriceOverrides(
  text: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Partial<Prices> {
  const known = new Set(Object.keys(DEFAULT_PRICES));
  const pairs: [string, unknown][] = text.includes('=')
    ? text.split(',').map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new UsageError(`--region-prices: "${pair}" is not name=value`);
        return [
          pair.slice(0, at).trim(),
          pair
            .slice(at + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        ];
      })
    : Object.entries(parseJsonObject(readFile(text), text));
  const overrides: Record<string, string | number> = {};
  for (const [name, raw] of pairs) {
    if (!known.has(name)) throw new UsageError(`--region-prices: unknown price "${name}"; known: ${[...known].join(', ')}`);
    if (typeof DEFAULT_PRICES[name as keyof Prices] === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0)
        throw new UsageError(`--region-prices: ${name} must be a number >= 0, got "${String(raw)}"`);
      overrides[name] = value;
    } else {
      overrides[name] = String(raw);
    }
  }
  return overrides;
}

function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--region-prices: ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--region-prices: ${path} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

export function inputsFromArgs(argv: readonly string[]): { inputs: CapacityInputs; json: boolean; help: boolean } {
  const options = parseOptions(argv, CAPACITY_OPTIONS);
  const prices = options.optionalString('region-prices');
  const inputs: CapacityInputs = {
    ...DEFAULT_INPUTS,
    eventsPerSecond: options.number('events-per-second'),
    duplicateRate: options.number('duplicate-rate'),
    invalidRate: options.number('invalid-rate'),
    lateRate: options.number('late-rate'),
    ttlHours: options.number('ttl-hours'),
    talliesTtlHours: options.number('tallies-ttl-hours'),
    locations: options.number('locations'),
    items: options.number('items'),
    skew: options.number('skew'),
    postBatchSize: options.number('batch-size'),
    eventBytes: options.number('event-bytes'),
    eventsPerMessage: options.number('events-per-message'),
    ingestBatchSize: options.number('ingest-batch'),
    partitions: options.optionalNumber('partitions'),
    dedupPartitions: options.number('dedup-partitions'),
    materializedTop: options.number('top'),
    flatRows: !options.flag('no-flat-rows'),
    feedBatchSize: options.number('feed-batch'),
    feedCycleSeconds: options.number('feed-cycle-seconds'),
    instanceMemoryMb: options.number('instance-memory-mb'),
    httpEventsPerInstance: options.number('http-events-per-instance'),
    ingestEventsPerInstance: options.number('ingest-events-per-instance'),
    headroom: options.number('headroom'),
    captureRetentionDays: options.number('capture-retention-days'),
    queryRps: options.number('query-rps'),
    ru: { ...DEFAULT_RU_ASSUMPTIONS, conflictRu: options.number('conflict-ru'), provisionTtlDeletes: !options.flag('no-ttl-deletes') },
    prices: { ...DEFAULT_PRICES, ...(prices === undefined ? {} : parsePriceOverrides(prices)) },
  };
  if (inputs.duplicateRate + inputs.invalidRate > 1) throw new UsageError('--duplicate-rate plus --invalid-rate must not exceed 1');
  return { inputs, json: options.flag('json'), help: options.help };
}

export function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): number {
  try {
    const { inputs, json, help } = inputsFromArgs(argv);
    if (help) {
      out(formatHelp(CAPACITY_HELP));
      return 0;
    }
    const result = computeCapacity(inputs);
    out(json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
