/**
 * Documented Azure figures the capacity model rests on, each with its source. Sources are the public
 * pages named here (collected in docs/capacity.md); a figure no source gives is an assumption and lives
 * in inputs.ts with the word "assumption" in its description.
 */

/**
 * RU of a point read and of a write (create) by document size: "Request Units in Azure Cosmos DB" /
 * "Understand request unit consumption" (learn.microsoft.com). A replace, and an upsert over an existing
 * item, costs about twice an insert ("Optimize request cost in Azure Cosmos DB").
 */
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
/** A replace (or an upsert of an existing item) deletes and inserts: about 2× an insert (same page). */
export const REPLACE_FACTOR = 2;
/** Same page: each indexed term written or removed adds about 0.2 RU. */
export const RU_PER_INDEX_TERM = 0.2;

/** Event Hubs Standard throughput unit ("Event Hubs scalability"): in 1 MB/s or 1,000 events/s, out 2 MB/s or 4,096 events/s. */
export const TU_INGRESS_MB = 1;
export const TU_INGRESS_EVENTS = 1000;
export const TU_EGRESS_MB = 2;
export const TU_EGRESS_EVENTS = 4096;
export const EVENT_HUBS_STANDARD_MAX_TU = 40;
export const EVENT_HUBS_STANDARD_MAX_PARTITIONS = 32;
/** Event Hubs FAQ: ingress is billed per 64 KB unit ("a 96-KB message … is billed as two events"). */
export const EVENT_HUBS_BILLING_UNIT_BYTES = 64 * 1024;
/** Body bytes the publisher packs into one event: the unit less 1 KB for the AMQP envelope (shared/domain/packing.ts). */
export const PACKED_BODY_BYTES = EVENT_HUBS_BILLING_UNIT_BYTES - 1024;

/** Cosmos DB service limits: 10,000 RU/s per physical partition, 20 GB per logical, 50 GB per physical partition. */
export const COSMOS_MAX_RU_PER_PARTITION = 10_000;
export const COSMOS_MAX_LOGICAL_PARTITION_GB = 20;
export const COSMOS_PHYSICAL_PARTITION_GB = 50;
/** Autoscale bills the highest RU/s of each hour, at least 10 % of the maximum (autoscale FAQ). */
export const AUTOSCALE_FLOOR_SHARE = 0.1;
/** Autoscale maximums are set in steps of 1,000 RU/s, at least 1,000. */
export const AUTOSCALE_STEP = 1000;
/** Change feed processor lease renewal (azure-cosmos-dotnet-v3 ChangeFeedLeaseOptions: renew every 17 s). */
export const LEASE_RENEW_SECONDS = 17;

/**
 * The public reference: Azure-Samples/streaming-at-scale, eventhubs-functions-cosmosdb, 10,000 msgs/s on
 * 100,000 RU/s: one upsert of ~1 KB per message, no dedup, no aggregation, no expiry.
 */
export const REFERENCE = { eventsPerSecond: 10_000, provisionedRu: 100_000, ruPerWrite: 8.5 } as const;

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
export const SECONDS_PER_DAY = 86_400;
export const GB = 1e9;
export const KB = 1024;

/** The targets for 10,000 events/s, printed next to the model's figures. */
export const TARGETS = {
  ruPerSecond: 66_000,
  ruBesidesDedup: 8_000,
  autoscaleMaxTotal: 125_000,
  throughputUnits: 2,
  monthlyCost: 8_000,
  counterDelaySeconds: 3,
} as const;
