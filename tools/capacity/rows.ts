/**
 * The flat Power BI rows (one per top-X rank of each counter), written every ROWS_REFRESH_SECONDS. A
 * counter commit marks its rows due. When a worker's cadence falls due, the aggregate batch that starts
 * then commits each counter it touches with its changed rows in one transactional batch; the same
 * refresh then writes the rows of the other due counters (taken from the worker's counter cache, no
 * query), each in one batch of the counter's replace (rows marked written) and its changed rows. Both
 * are rows_write requests. A timer queries the counters still due and idle for a cadence (idle feeds,
 * crash repair), at most once per cadence. The API and the OData feed read the counters.
 */
import type { AggregateModel } from './aggregate';
import { KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import { documentedRu, fmt, rowDocumentBytes, zipf } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';

/** The schedule of the rows timer (functions/refreshRows.ts); it queries at most once a ROWS_REFRESH_SECONDS. */
const ROWS_TIMER_SECONDS = 5;

export interface RowsModel {
  readonly rowBytes: number;
  readonly rowUpsertRu: number;
  readonly dueCounters: number;
  /** Due counters committed with their rows by the batch at the cadence. */
  readonly piggybacked: number;
  /** Due counters that batch did not touch: their rows written apart, with the counter's replace. */
  readonly separate: number;
  readonly rowsPerRefresh: number;
  readonly rowWritesPerSecond: number;
  /** Row writes per second if every counter commit rewrote its changed rows (the previous behaviour). */
  readonly rowWritesPerCommit: number;
  /** rows_write requests: one counter's transactional batch each. */
  readonly batchesPerSecond: number;
  readonly write: Charge;
  readonly ruRows: number;
  readonly dueQueriesPerSecond: number;
  /** Counters the timer's query returns, at most: those committed in one aggregate cycle (upper bound). */
  readonly timerQueryCounters: number;
  readonly dueQueryRu: number;
  /** All counter reads: the aggregate cache misses and the timer's due query (both recorded as counter_read). */
  readonly counterRead: Charge;
  readonly counterReadsPerSecond: number;
  readonly ruCounterReads: number;
  /** Seconds between two rows refreshes of a worker (AggregateModel.rowsCadenceSeconds). */
  readonly cadenceSeconds: number;
  readonly delaySeconds: number;
}

/** Expected rows changed in a counter that received `changes` detections: the top-X ranks whose item was hit. */
function rowsChanged(topItemP: readonly number[], changes: number): number {
  return topItemP.reduce((sum, q) => sum + (1 - (1 - q) ** changes), 0);
}

/** Expected rows changed over all counters when `changes` detections arrive between two writes. */
export function rowsChangedBy(inputs: CapacityInputs, changes: number): number {
  const topItemP = zipf(inputs.items, inputs.skew).slice(0, inputs.materializedTop);
  let rows = 0;
  for (const p of zipf(inputs.locations, inputs.skew)) {
    const atLocation = changes * p;
    rows += rowsChanged(topItemP, atLocation);
    rows += rowsChanged(topItemP, atLocation * (1 - inputs.lateRate));
    rows += inputs.lateHours * rowsChanged(topItemP, (atLocation * inputs.lateRate) / inputs.lateHours);
  }
  return rows;
}

export function modelRows(inputs: CapacityInputs, load: Load, aggregate: AggregateModel): RowsModel {
  const { ru } = inputs;
  const refresh = aggregate.rowsCadenceSeconds;
  const rowBytes = rowDocumentBytes(ru.systemPropertyBytes);
  const rowUpsertRu = REPLACE_FACTOR * documentedRu('write', rowBytes / KB) + 2 * RU_PER_INDEX_TERM * ru.rowChangedTerms;
  const { dueCounters, piggybacked } = aggregate;
  const rowsPerRefresh = inputs.flatRows ? rowsChangedBy(inputs, load.stored * refresh) : 0;
  const rowsPerBatch = dueCounters > 0 ? rowsPerRefresh / dueCounters : 0;
  const counterReplaceRu = aggregate.commit.modelRuPerRequest;
  const write = chargeOf(
    inputs,
    'rows_write',
    counterReplaceRu + rowsPerBatch * rowUpsertRu,
    `one transactional batch per due counter (charge = sum of its operations): the counter's replace ${fmt(counterReplaceRu, 2)} (for a counter the batch at the cadence touches, that replace is its commit) + ${fmt(rowsPerBatch, 2)} changed rows × upsert of an existing ${rowBytes} B row ${fmt(rowUpsertRu, 2)} (2 × documented write + ${ru.rowChangedTerms} index terms)`,
  );
  // Every due counter's rows are written once a cadence; a commit riding with its rows retries with them.
  const batchesPerSecond = dueCounters / refresh + aggregate.piggybackedPerSecond * aggregate.retryShare;
  // Only the timer queries. Aggregate refreshes every counter it committed within a cadence and one cycle,
  // so the timer finds at most the counters of one aggregate cycle. A query page costs about the reads of
  // its documents ("1,000 items of 1 KB ≈ 1,000 RU"); per-partition overhead: no source.
  const timerQueryCounters = piggybacked;
  const dueQueryRu = timerQueryCounters * aggregate.pointReadRu;
  const dueQueriesPerSecond = inputs.flatRows ? 1 / Math.max(inputs.rowsRefreshSeconds, ROWS_TIMER_SECONDS) : 0;
  const counterReadsPerSecond = aggregate.readsPerSecond + dueQueriesPerSecond;
  const modelReadRu =
    counterReadsPerSecond > 0
      ? (aggregate.readsPerSecond * aggregate.pointReadRu + dueQueriesPerSecond * dueQueryRu) / counterReadsPerSecond
      : 0;
  const counterRead = chargeOf(
    inputs,
    'counter_read',
    modelReadRu,
    `${fmt(aggregate.readsPerSecond, 2)} point reads/s (${fmt(aggregate.pointReadRu, 2)} RU: cache misses) and at most ${fmt(dueQueriesPerSecond, 1)} timer queries/s of the settled due counters, at most ${fmt(timerQueryCounters)} (those committed in one ${inputs.aggregateCycleSeconds} s aggregate cycle: an upper bound) at ${fmt(dueQueryRu)} RU (about a read of each document returned), averaged`,
  );
  return {
    rowBytes,
    rowUpsertRu,
    dueCounters,
    piggybacked,
    separate: dueCounters - piggybacked,
    rowsPerRefresh,
    rowWritesPerSecond: rowsPerRefresh / refresh,
    rowWritesPerCommit: inputs.flatRows ? aggregate.invocations * rowsChangedBy(inputs, aggregate.changesPerBatch) : 0,
    batchesPerSecond,
    write,
    ruRows: batchesPerSecond * write.ruPerRequest,
    dueQueriesPerSecond,
    timerQueryCounters,
    dueQueryRu,
    counterRead,
    counterReadsPerSecond,
    ruCounterReads: counterReadsPerSecond * counterRead.ruPerRequest,
    cadenceSeconds: refresh,
    delaySeconds: aggregate.delaySeconds + refresh,
  };
}

export const rowsBasis = (inputs: CapacityInputs, rows: RowsModel): string =>
  inputs.flatRows
    ? `every ${fmt(rows.cadenceSeconds, 1)} s (ROWS_REFRESH_SECONDS ${inputs.rowsRefreshSeconds}, at the first aggregate batch due), the rows changed since the last write: ${fmt(rows.rowsPerRefresh)} rows of ${fmt(rows.dueCounters)} due counters (expected top-${inputs.materializedTop} items hit, all-time, current and late hours), ${fmt(rows.piggybacked)} of them committed with their rows by the batch at the cadence and ${fmt(rows.separate)} written apart; on every commit it would be ${fmt(rows.rowWritesPerCommit)} rows/s`
    : 'no flat rows (--no-flat-rows)';
