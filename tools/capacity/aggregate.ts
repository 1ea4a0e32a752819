/**
 * Stage two: the aggregate trigger folds the tallies feed into the per-location counters. One lease of
 * the tallies container means one writer per counter: the worker keeps each counter and its ETag, so a
 * commit needs no read while its cache is warm; a 412 (only possible with several writers) reads again;
 * a counter a batch leaves unchanged (a redelivered tally) is not committed.
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
  readonly commitsPerSecond: number;
  readonly skippedPerSecond: number;
  readonly retryShare: number;
  readonly readsPerSecond: number;
  readonly counterBytes: number;
  readonly commit: Charge;
  /** The model's point read of a counter (a cache miss); the rows stage prices all counter reads. */
  readonly pointReadRu: number;
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
  const batch = feedBatch(inputs, talliesPerLease);
  const invocations = tally.talliesPerSecond / batch;
  const changesPerBatch = load.stored / Math.max(invocations, 1e-12);
  const commitsPerBatch = countersTouched(inputs, changesPerBatch);
  const commitsPerSecond = invocations * commitsPerBatch;
  // One aggregate lease is one writer per counter: no races. Only a split tallies container brings them back.
  const retryShare = Math.min(0.9, ((leases - 1) * ru.commitWindowSeconds) / Math.max(inputs.feedCycleSeconds, 0.001));

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
  const readsPerSecond = (inputs.locations + ru.aggregateRestartsPerHour * liveCounters) / 3600 + commitsPerSecond * retryShare;
  const ruCommits = commitsPerSecond * (1 + retryShare) * commit.ruPerRequest;
  return {
    leases,
    talliesPerLease,
    batch,
    invocations,
    changesPerBatch,
    commitsPerBatch,
    commitsPerSecond,
    skippedPerSecond: commitsPerSecond * ru.redeliveredShare,
    retryShare,
    readsPerSecond,
    counterBytes,
    commit,
    pointReadRu,
    ruCommits,
    ruSavedByCache: commitsPerSecond * pointReadRu,
    ruPerStoredDetection: load.stored > 0 ? ruCommits / load.stored : 0,
    delaySeconds: 2 * inputs.feedCycleSeconds,
  };
}
