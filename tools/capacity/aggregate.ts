/**
 * Stage two: the aggregate trigger folds the tallies feed into the per-location counters. One lease of
 * the tallies container means one writer per counter: the worker keeps each counter and its ETag, so a
 * commit needs no read while its cache is warm; a 412 (only possible with several writers) reads again;
 * a counter a batch leaves unchanged (a redelivered tally) is not committed. When the worker's rows
 * cadence falls due, the batch that starts then commits each counter it touches together with its
 * changed rows in one transactional batch, recorded as rows_write: those commits are not counter_commit.
 */
import { KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import { counterDocumentBytes, documentedRu, feedBatch, fmt, zipf } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';
import type { TallyModel } from './tally';

export interface AggregateModel {
  readonly leases: number;
  readonly talliesPerLease: number;
  readonly batch: number;
  readonly invocations: number;
  readonly changesPerBatch: number;
  readonly commitsPerBatch: number;
  /** Counters committed per second, however the code records the request. */
  readonly commitsPerSecond: number;
  /**
   * Seconds between two rows refreshes of a worker: the cadence is checked when a batch starts, so it is
   * ROWS_REFRESH_SECONDS rounded up to whole batch intervals (the same, at the defaults).
   */
  readonly rowsCadenceSeconds: number;
  /** Counters whose rows fall due in one cadence: those any batch of the cadence touched. */
  readonly dueCounters: number;
  /** Of those, the counters the batches starting at the cadence touch: committed with their rows. */
  readonly piggybacked: number;
  /** Commits per second that ride in a rows batch (rows_write), not in a counter_commit. */
  readonly piggybackedPerSecond: number;
  /** counter_commit requests per second: the other commits, and their ETag retries. */
  readonly commitRequestsPerSecond: number;
  readonly skippedPerSecond: number;
  readonly retryShare: number;
  readonly readsPerSecond: number;
  readonly counterBytes: number;
  readonly commit: Charge;
  /** The model's point read of a counter (a cache miss); the rows stage prices all counter reads. */
  readonly pointReadRu: number;
  /** RU/s of the counter_commit requests (the commits riding with rows are priced in the rows stage). */
  readonly ruCommits: number;
  /** RU/s a read before every commit would add (what the code did before caching counters). */
  readonly ruSavedByCache: number;
  readonly ruPerStoredDetection: number;
  readonly delaySeconds: number;
}

/** Expected distinct (location, window) counters a batch of `changes` detections touches. */
export function countersTouched(inputs: CapacityInputs, changes: number): number {
  const onTime = changes * (1 - inputs.lateRate);
  const late = changes * inputs.lateRate;
  let commits = 0;
  for (const p of zipf(inputs.locations, inputs.skew)) {
    const touchedAll = 1 - (1 - p) ** changes;
    const touchedHour = 1 - (1 - p) ** onTime;
    const touchedLate = inputs.lateHours * (1 - (1 - p / inputs.lateHours) ** late);
    commits += touchedAll + touchedHour + touchedLate;
  }
  return commits;
}

export function modelAggregate(inputs: CapacityInputs, load: Load, tally: TallyModel): AggregateModel {
  const { ru } = inputs;
  const leases = tally.aggregateLeases;
  const talliesPerLease = tally.talliesPerSecond / leases;
  const batch = feedBatch(inputs.feedBatchSize, inputs.aggregateCycleSeconds, talliesPerLease);
  const invocations = tally.talliesPerSecond / batch;
  const changesPerBatch = load.stored / Math.max(invocations, 1e-12);
  const commitsPerBatch = countersTouched(inputs, changesPerBatch);
  const commitsPerSecond = invocations * commitsPerBatch;
  // One aggregate lease is one writer per counter: no races. Only a split tallies container brings them back.
  const retryShare = Math.min(0.9, ((leases - 1) * ru.commitWindowSeconds) / Math.max(inputs.aggregateCycleSeconds, 0.001));
  const batchInterval = leases / Math.max(invocations, 1e-12);
  const rowsCadenceSeconds = Math.ceil(inputs.rowsRefreshSeconds / batchInterval - 1e-9) * batchInterval;
  const dueCounters = inputs.flatRows ? countersTouched(inputs, load.stored * rowsCadenceSeconds) : 0;
  // Each worker's batch at the cadence carries the counters it touches; several workers may share counters.
  const piggybacked = Math.min(dueCounters, leases * commitsPerBatch);
  const piggybackedPerSecond = piggybacked / rowsCadenceSeconds;
  const commitRequestsPerSecond = (commitsPerSecond - piggybackedPerSecond) * (1 + retryShare);

  const counterBytes = counterDocumentBytes(inputs.items, inputs.dedupPartitions, ru.systemPropertyBytes, inputs.materializedTop);
  const counterKb = counterBytes / KB;
  const commit = chargeOf(
    inputs,
    'counter_commit',
    REPLACE_FACTOR * documentedRu('write', counterKb) + 2 * RU_PER_INDEX_TERM * ru.counterChangedTerms,
    `conditional replace of a ${fmt(counterBytes)} B counter: 2 × documented write (a replace is about 2× an insert) + ${ru.counterChangedTerms} changed index terms`,
  );
  const pointReadRu = documentedRu('read', counterKb);
  // Cold reads: each hour's new counters, every live counter after a restart, and each lost race.
  const liveCounters = inputs.locations * (2 + inputs.lateHours);
  const readsPerSecond = (inputs.locations + ru.workerRestartsPerHour * liveCounters) / 3600 + commitsPerSecond * retryShare;
  const ruCommits = commitRequestsPerSecond * commit.ruPerRequest;
  return {
    leases,
    talliesPerLease,
    batch,
    invocations,
    changesPerBatch,
    commitsPerBatch,
    commitsPerSecond,
    rowsCadenceSeconds,
    dueCounters,
    piggybacked,
    piggybackedPerSecond,
    commitRequestsPerSecond,
    skippedPerSecond: commitsPerSecond * ru.redeliveredShare,
    retryShare,
    readsPerSecond,
    counterBytes,
    commit,
    pointReadRu,
    ruCommits,
    ruSavedByCache: commitsPerSecond * pointReadRu,
    ruPerStoredDetection: load.stored > 0 ? ruCommits / load.stored : 0,
    delaySeconds: inputs.feedCycleSeconds + inputs.aggregateCycleSeconds,
  };
}
