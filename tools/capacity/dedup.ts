/** The dedup container: one create per stored detection, a refused create (and a read) per duplicate, its change feed and TTL deletes. */
import {
  COSMOS_MAX_LOGICAL_PARTITION_GB,
  COSMOS_MAX_RU_PER_PARTITION,
  COSMOS_PHYSICAL_PARTITION_GB,
  GB,
  KB,
  RU_PER_INDEX_TERM,
} from './constants';
import { autoscaleMaxWithTtl, dedupRecordBytes, documentedRu, fmt } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';
import type { ContainerThroughput } from './types';

export interface DedupModel {
  readonly bytes: number;
  readonly create: Charge;
  readonly conflict: Charge;
  readonly conflictRead: Charge;
  readonly feedRead: Charge;
  readonly ttlDelete: Charge;
  readonly ruCreates: number;
  readonly ruDuplicates: number;
  readonly ruFeed: number;
  readonly ttlDeleteRu: number;
  readonly container: ContainerThroughput;
  readonly physicalPartitions: number;
  readonly leases: number;
  readonly items: number;
  readonly storageGb: number;
  readonly perLogicalGb: number;
  readonly maxStoredByLogicalSize: number;
  readonly warnings: readonly string[];
}

export function modelDedup(inputs: CapacityInputs, load: Load): DedupModel {
  const { ru } = inputs;
  const warnings: string[] = [];
  const bytes = dedupRecordBytes(ru.systemPropertyBytes);
  const kb = bytes / KB;
  const create = chargeOf(
    inputs,
    'dedup_create',
    documentedRu('write', kb) + RU_PER_INDEX_TERM * ru.dedupIndexedTerms,
    `documented write of a ≤ 1 KB item + ${RU_PER_INDEX_TERM} RU × ${ru.dedupIndexedTerms} indexed terms (the indexing policy excludes every path)`,
  );
  const conflict = chargeOf(inputs, 'dedup_conflict', ru.conflictRu, 'a create refused with 409: no public source, assumption');
  const conflictRead = chargeOf(
    inputs,
    'conflict_read',
    ru.readOnDuplicate ? documentedRu('read', kb) : 0,
    'documented point read of the stored copy, to compare it',
  );
  const feedRead = chargeOf(
    inputs,
    'dedup_change_feed',
    documentedRu('read', kb),
    'about a point read per change (Microsoft staff statement, MicrosoftDocs/azure-docs#50040): invisible to the code',
  );
  const ttlDelete = chargeOf(
    inputs,
    'dedup_ttl_delete',
    create.ruPerRequest,
    'a delete of the same item, about a create (CosmosSQLCalipers: write 7, delete 7 RU)',
  );

  const ruCreates = load.stored * create.ruPerRequest;
  const ruDuplicates = load.duplicates * (conflict.ruPerRequest + conflictRead.ruPerRequest);
  const ruFeed = load.stored * feedRead.ruPerRequest;
  const ttlDeleteRu = load.stored * ttlDelete.ruPerRequest;
  const counted = ru.provisionTtlDeletes ? ttlDeleteRu : 0;
  const need = ruCreates + ruDuplicates + ruFeed + counted;
  const max = autoscaleMaxWithTtl(need, ttlDeleteRu - counted, inputs.headroom);

  const ttlSeconds = inputs.ttlHours * 3600;
  const items = load.stored * ttlSeconds;
  const storageGb = (items * bytes * (1 + ru.dedupIndexOverhead)) / GB;
  const perLogicalGb = storageGb / inputs.dedupPartitions;
  const maxStoredByLogicalSize =
    (COSMOS_MAX_LOGICAL_PARTITION_GB * GB * inputs.dedupPartitions) / (ttlSeconds * bytes * (1 + ru.dedupIndexOverhead));
  if (perLogicalGb > COSMOS_MAX_LOGICAL_PARTITION_GB * 0.8)
    warnings.push(
      `a dedup logical partition holds ${fmt(perLogicalGb, 1)} GB at the TTL, near or over the ${COSMOS_MAX_LOGICAL_PARTITION_GB} GB limit: raise DEDUP_PARTITIONS (before any record is stored) or shorten the TTL.`,
    );
  const ruPerLogical = (need + ttlDeleteRu - counted) / inputs.dedupPartitions;
  if (ruPerLogical > COSMOS_MAX_RU_PER_PARTITION * 0.5)
    warnings.push(
      `a dedup logical partition needs ${fmt(ruPerLogical)} RU/s, over half the ${COSMOS_MAX_RU_PER_PARTITION} RU/s a partition serves: raise DEDUP_PARTITIONS.`,
    );
  const physicalPartitions = Math.max(1, Math.ceil(max / COSMOS_MAX_RU_PER_PARTITION), Math.ceil(storageGb / COSMOS_PHYSICAL_PARTITION_GB));
  return {
    bytes,
    create,
    conflict,
    conflictRead,
    feedRead,
    ttlDelete,
    ruCreates,
    ruDuplicates,
    ruFeed,
    ttlDeleteRu,
    container: { name: 'dedup', ruPerSecond: need, ttlDeleteRuPerSecond: ttlDeleteRu, autoscaleMaxRu: max },
    physicalPartitions,
    leases: Math.min(physicalPartitions, inputs.dedupPartitions),
    items,
    storageGb,
    perLogicalGb,
    maxStoredByLogicalSize,
    warnings,
  };
}
