/**
 * The flat Power BI rows (one per top-X rank of each counter), written every ROWS_REFRESH_SECONDS. A
 * counter commit marks its rows due; each refresh queries the due counters, and for each writes one
 * transactional batch: the counter replaced with its rows marked written (and the copy of the items they
 * were written from), plus an upsert of each row that changed. `aggregate` refreshes on its cadence; a
 * timer runs the same query on the same cadence for idle feeds and crash repair. The counters stay exact
 * and are committed on every batch; the API and the OData feed read the counters.
 */
import type { AggregateModel } from './aggregate';
import { countersTouched } from './aggregate';
import { KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import { documentedRu, fmt, rowDocumentBytes, zipf } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';

/** Queries of the due counters per cadence: the one in `aggregate` and the timer's. */
const DUE_QUERIES_PER_REFRESH = 2;

export interface RowsModel {
  readonly rowBytes: number;
  readonly rowUpsertRu: number;
  readonly dueCounters: number;
  readonly rowsPerRefresh: number;
  readonly rowWritesPerSecond: number;
  /** Row writes per second if every counter commit rewrote its changed rows (the previous behaviour). */
  readonly rowWritesPerCommit: number;
  /** One request = one counter's transactional batch. */
  readonly batchesPerSecond: number;
  readonly write: Charge;
  readonly ruRows: number;
  readonly dueQueriesPerSecond: number;
  readonly dueQueryRu: number;
  /** All counter reads: the aggregate cache misses and the due queries (both recorded as counter_read). */
  readonly counterRead: Charge;
  readonly counterReadsPerSecond: number;
  readonly ruCounterReads: number;
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
  const refresh = inputs.rowsRefreshSeconds;
  const rowBytes = rowDocumentBytes(ru.systemPropertyBytes);
  const rowUpsertRu = REPLACE_FACTOR * documentedRu('write', rowBytes / KB) + 2 * RU_PER_INDEX_TERM * ru.rowChangedTerms;
  const changesPerRefresh = load.stored * refresh;
  const dueCounters = inputs.flatRows ? countersTouched(inputs, changesPerRefresh) : 0;
  const rowsPerRefresh = inputs.flatRows ? rowsChangedBy(inputs, changesPerRefresh) : 0;
  const rowsPerBatch = dueCounters > 0 ? rowsPerRefresh / dueCounters : 0;
  const counterReplaceRu = aggregate.commit.modelRuPerRequest;
  const write = chargeOf(
    inputs,
    'rows_write',
    counterReplaceRu + rowsPerBatch * rowUpsertRu,
    `one transactional batch per due counter (charge = sum of its operations): the counter's replace ${fmt(counterReplaceRu, 2)} + ${fmt(rowsPerBatch, 2)} changed rows × upsert of an existing ${rowBytes} B row ${fmt(rowUpsertRu, 2)} (2 × documented write + ${ru.rowChangedTerms} index terms)`,
  );
  const batchesPerSecond = dueCounters / refresh;
  // A query page costs about the reads of its documents ("1,000 items of 1 KB ≈ 1,000 RU"); per-partition overhead: no source.
  const dueQueryRu = dueCounters * aggregate.pointReadRu;
  const dueQueriesPerSecond = inputs.flatRows ? DUE_QUERIES_PER_REFRESH / refresh : 0;
  const counterReadsPerSecond = aggregate.readsPerSecond + dueQueriesPerSecond;
  const modelReadRu =
    counterReadsPerSecond > 0
      ? (aggregate.readsPerSecond * aggregate.pointReadRu + dueQueriesPerSecond * dueQueryRu) / counterReadsPerSecond
      : 0;
  const counterRead = chargeOf(
    inputs,
    'counter_read',
    modelReadRu,
    `${fmt(aggregate.readsPerSecond, 2)} point reads/s (${fmt(aggregate.pointReadRu, 2)} RU: cache misses) and ${fmt(dueQueriesPerSecond, 1)} due-counter queries/s of ${fmt(dueCounters)} counters (${fmt(dueQueryRu)} RU: about a read of each document returned), averaged`,
  );
  return {
    rowBytes,
    rowUpsertRu,
    dueCounters,
    rowsPerRefresh,
    rowWritesPerSecond: rowsPerRefresh / refresh,
    rowWritesPerCommit: inputs.flatRows ? aggregate.invocations * rowsChangedBy(inputs, aggregate.changesPerBatch) : 0,
    batchesPerSecond,
    write,
    ruRows: batchesPerSecond * write.ruPerRequest,
    dueQueriesPerSecond,
    dueQueryRu,
    counterRead,
    counterReadsPerSecond,
    ruCounterReads: counterReadsPerSecond * counterRead.ruPerRequest,
    delaySeconds: aggregate.delaySeconds + refresh,
  };
}

export const rowsBasis = (inputs: CapacityInputs, rows: RowsModel): string =>
  inputs.flatRows
    ? `every ${inputs.rowsRefreshSeconds} s (ROWS_REFRESH_SECONDS), the rows changed since the last write: ${fmt(rows.rowsPerRefresh)} rows of ${fmt(rows.dueCounters)} due counters (expected top-${inputs.materializedTop} items hit, all-time, current and late hours); on every commit it would be ${fmt(rows.rowWritesPerCommit)} rows/s`
    : 'no flat rows (--no-flat-rows)';
