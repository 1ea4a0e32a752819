/** Stage one: the tally trigger reads the dedup feed and appends one tally per dedup partition present in a batch. */
import { COSMOS_MAX_RU_PER_PARTITION, COSMOS_PHYSICAL_PARTITION_GB, GB, KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import type { DedupModel } from './dedup';
import {
  autoscaleMaxWithTtl,
  CURSOR_DOCUMENT_BYTES,
  documentedRu,
  expectedDistinct,
  feedBatch,
  fmt,
  tallyDocumentBytes,
  zipf,
} from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';
import type { ContainerThroughput } from './types';

export interface TallyModel {
  readonly leases: number;
  readonly partitionsPerLease: number;
  readonly perLeaseRate: number;
  readonly batch: number;
  readonly invocations: number;
  readonly partitionsPerBatch: number;
  readonly talliesPerSecond: number;
  readonly changesPerTally: number;
  readonly entries: number;
  readonly locationsPerTally: number;
  readonly bytes: number;
  readonly cursorBytes: number;
  readonly append: Charge;
  readonly feedRead: Charge;
  readonly ttlDelete: Charge;
  /** Requests recorded as tally_append: a batch per tally, and a cursor read per partition after each restart. */
  readonly appendRequestsPerSecond: number;
  readonly ruAppends: number;
  readonly ruFeed: number;
  readonly ttlDeleteRu: number;
  readonly container: ContainerThroughput;
  readonly storageGb: number;
  readonly physicalPartitions: number;
  readonly aggregateLeases: number;
  readonly warnings: readonly string[];
}

/** Expected distinct (location, hour, item) entries in a tally of `changes` detections. */
function tallyEntries(inputs: CapacityInputs, changes: number): number {
  const itemP = zipf(inputs.items, inputs.skew);
  let entries = 0;
  for (const p of zipf(inputs.locations, inputs.skew)) {
    for (const q of itemP) {
      entries += 1 - (1 - p * q * (1 - inputs.lateRate)) ** changes;
      entries += inputs.lateHours * (1 - (1 - (p * q * inputs.lateRate) / inputs.lateHours) ** changes);
    }
  }
  return entries;
}

export function modelTally(inputs: CapacityInputs, load: Load, dedup: DedupModel): TallyModel {
  const { ru } = inputs;
  const leases = dedup.leases;
  // Detections hash evenly over DEDUP_PARTITIONS, and the partitions spread evenly over the leases.
  const perLeaseRate = load.stored / leases;
  const batch = feedBatch(inputs.feedBatchSize, inputs.feedCycleSeconds, perLeaseRate);
  const invocations = load.stored / batch;
  const partitionsPerLease = inputs.dedupPartitions / leases;
  const partitionsPerBatch = partitionsPerLease * (1 - (1 - 1 / partitionsPerLease) ** batch);
  const talliesPerSecond = invocations * partitionsPerBatch;
  const changesPerTally = batch / partitionsPerBatch;
  const locationsPerTally = expectedDistinct(zipf(inputs.locations, inputs.skew), changesPerTally);
  const entries = tallyEntries(inputs, changesPerTally);
  const bytes = tallyDocumentBytes(locationsPerTally, entries, ru.systemPropertyBytes);
  const kb = bytes / KB;
  const cursorBytes = CURSOR_DOCUMENT_BYTES + ru.systemPropertyBytes;
  const createRu = documentedRu('write', kb) + RU_PER_INDEX_TERM * ru.tallyIndexedTerms;
  const cursorReplaceRu = REPLACE_FACTOR * documentedRu('write', cursorBytes / KB);
  const cursorReadRu = documentedRu('read', cursorBytes / KB);
  const batchRu = createRu + cursorReplaceRu;
  // The worker keeps the cursor it wrote (one writer per dedup partition): a cursor is read only when
  // a restart has emptied that cache. The code records those reads and the batches as tally_append.
  const cursorReadsPerSecond = (inputs.dedupPartitions * ru.workerRestartsPerHour) / 3600;
  const appendRequestsPerSecond = talliesPerSecond + cursorReadsPerSecond;
  const append = chargeOf(
    inputs,
    'tally_append',
    (talliesPerSecond * batchRu + cursorReadsPerSecond * cursorReadRu) / Math.max(appendRequestsPerSecond, 1e-12),
    `a transactional batch per tally (charge = sum of its operations): the ${fmt(kb, 1)} KB tally's create (${fmt(createRu, 2)}, documented write interpolated) and the cursor's conditional replace (${fmt(cursorReplaceRu, 2)}, about 2× an insert); plus ${fmt(cursorReadsPerSecond, 3)} point reads/s of a ${cursorBytes} B cursor (${fmt(cursorReadRu, 2)}) after ${ru.workerRestartsPerHour} worker restart(s) per hour (the worker keeps the cursor it wrote), averaged`,
  );
  const feedRead = chargeOf(
    inputs,
    'tallies_change_feed',
    documentedRu('read', kb) + documentedRu('read', cursorBytes / KB),
    'the aggregate trigger reading the tallies feed: about a point read of each tally and of at most one cursor version; invisible to the code',
  );
  const ttlDelete = chargeOf(inputs, 'tallies_ttl_delete', createRu, 'a delete of the tally, about its create');
  const ruAppends = appendRequestsPerSecond * append.ruPerRequest;
  const ruFeed = talliesPerSecond * feedRead.ruPerRequest;
  const ttlDeleteRu = talliesPerSecond * ttlDelete.ruPerRequest;
  const counted = ru.provisionTtlDeletes ? ttlDeleteRu : 0;
  const need = ruAppends + ruFeed + counted;
  const max = autoscaleMaxWithTtl(need, ttlDeleteRu - counted, inputs.headroom);
  const storageGb = (talliesPerSecond * inputs.talliesTtlHours * 3600 * bytes * (1 + ru.dedupIndexOverhead)) / GB;
  const physicalPartitions = Math.max(1, Math.ceil(max / COSMOS_MAX_RU_PER_PARTITION), Math.ceil(storageGb / COSMOS_PHYSICAL_PARTITION_GB));
  const aggregateLeases = Math.min(physicalPartitions, inputs.dedupPartitions);
  const warnings =
    physicalPartitions > 1
      ? [
          `the tallies container needs ${physicalPartitions} physical partitions (autoscale max ${fmt(max)} RU/s, ${fmt(storageGb, 1)} GB at a ${inputs.talliesTtlHours} h TTL; one holds ${fmt(COSMOS_MAX_RU_PER_PARTITION)} RU/s and ${COSMOS_PHYSICAL_PARTITION_GB} GB): the aggregate trigger gets ${aggregateLeases} leases and every counter that many writers racing on etags. Shorten the tallies TTL or lengthen the feed cycle.`,
        ]
      : [];
  return {
    leases,
    partitionsPerLease,
    perLeaseRate,
    batch,
    invocations,
    partitionsPerBatch,
    talliesPerSecond,
    changesPerTally,
    entries,
    locationsPerTally,
    bytes,
    cursorBytes,
    append,
    feedRead,
    ttlDelete,
    appendRequestsPerSecond,
    ruAppends,
    ruFeed,
    ttlDeleteRu,
    container: { name: 'tallies', ruPerSecond: need, ttlDeleteRuPerSecond: ttlDeleteRu, autoscaleMaxRu: max },
    storageGb,
    physicalPartitions,
    aggregateLeases,
    warnings,
  };
}
