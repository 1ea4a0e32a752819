/**
 * The flat Power BI rows (one per top-X rank of each counter), written every ROWS_REFRESH_SECONDS:
 * only rows whose item or count changed since the last write. The counters themselves stay exact and
 * are committed on every batch; the API and the OData feed read the counters.
 */
import { KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import type { AggregateModel } from './aggregate';
import { documentedRu, fmt, rowDocumentBytes, zipf } from './helpers';
import type { CapacityInputs } from './inputs';
import type { Load } from './load';
import { type Charge, chargeOf } from './operations';

export interface RowsModel {
  readonly rowBytes: number;
  readonly rowsPerRefresh: number;
  readonly rowWritesPerSecond: number;
  /** Row writes per second if every counter commit rewrote its changed rows (the previous behaviour). */
  readonly rowWritesPerCommit: number;
  readonly write: Charge;
  readonly ruRows: number;
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
  const rowBytes = rowDocumentBytes(ru.systemPropertyBytes);
  const write = chargeOf(
    inputs,
    'rows_write',
    REPLACE_FACTOR * documentedRu('write', rowBytes / KB) + 2 * RU_PER_INDEX_TERM * ru.rowChangedTerms,
    `upsert of an existing ${rowBytes} B row: 2 × documented write of a ≤ 1 KB item (about 2× an insert) + ${ru.rowChangedTerms} changed index terms; one request per row`,
  );
  const refresh = inputs.rowsRefreshSeconds;
  const rowsPerRefresh = inputs.flatRows ? rowsChangedBy(inputs, load.stored * refresh) : 0;
  const rowWritesPerSecond = rowsPerRefresh / refresh;
  const rowWritesPerCommit = inputs.flatRows ? aggregate.invocations * rowsChangedBy(inputs, aggregate.changesPerBatch) : 0;
  return {
    rowBytes,
    rowsPerRefresh,
    rowWritesPerSecond,
    rowWritesPerCommit,
    write,
    ruRows: rowWritesPerSecond * write.ruPerRequest,
    delaySeconds: aggregate.delaySeconds + refresh,
  };
}

export const rowsBasis = (inputs: CapacityInputs, rows: RowsModel): string =>
  inputs.flatRows
    ? `every ${inputs.rowsRefreshSeconds} s (ROWS_REFRESH_SECONDS), the rows changed since the last write: ${fmt(rows.rowsPerRefresh)} (expected top-${inputs.materializedTop} items hit, all-time, current and late hours); on every commit it would be ${fmt(rows.rowWritesPerCommit)} rows/s`
    : 'no flat rows (--no-flat-rows)';
