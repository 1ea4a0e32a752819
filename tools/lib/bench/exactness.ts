/**
 * Compares the runtime's top-items rows with the generator's independent truth: every location's
 * items, counts and ranks, per window. Probe locations are the benchmark's own and are left out.
 */
import type { Truth } from '../generator';
import type { Mismatch } from './results';
import { isProbeLocation } from './workload';

export interface ApiRow {
  readonly geographical_location_oid: string;
  readonly item_rank: number;
  readonly item_name: string;
  readonly item_count: number;
}

export interface WindowCheck {
  readonly mismatches: Mismatch[];
  readonly problems: string[];
  readonly locations: number;
  readonly rows: number;
}

/**
 * `hours` undefined checks all-time counts; otherwise the window is those hours (one for hour:H).
 * `top` must be at least the number of items, so every count is compared, not only the leaders.
 */
export function compareWindow(rows: readonly ApiRow[], truth: Truth, label: string, hours?: readonly string[]): WindowCheck {
  const mismatches: Mismatch[] = [];
  const problems: string[] = [];
  const byLocation = new Map<string, ApiRow[]>();
  for (const row of rows) {
    if (isProbeLocation(row.geographical_location_oid)) continue;
    const list = byLocation.get(row.geographical_location_oid);
    if (list) list.push(row);
    else byLocation.set(row.geographical_location_oid, [row]);
  }
  const expectedLocations = truth.locations().filter((location) => truth.counts(location, hours).size > 0);
  for (const location of byLocation.keys()) {
    if (!expectedLocations.includes(location))
      problems.push(`${label}: location ${location} is in the API but has no detections in the truth`);
  }
  for (const location of expectedLocations) {
    const expected = truth.top(location, Number.MAX_SAFE_INTEGER, hours);
    const actual = [...(byLocation.get(location) ?? [])].sort((a, b) => a.item_rank - b.item_rank);
    const actualCounts = new Map(actual.map((row) => [row.item_name, row.item_count]));
    for (const { item, count } of expected) {
      const got = actualCounts.get(item) ?? 0;
      if (got !== count) mismatches.push({ location, window: label, item, expected: count, actual: got });
    }
    const expectedItems = new Set(expected.map((entry) => entry.item));
    for (const row of actual) {
      if (!expectedItems.has(row.item_name))
        mismatches.push({ location, window: label, item: row.item_name, expected: 0, actual: row.item_count });
    }
    const order = actual.map((row) => row.item_name).join('\u0000');
    const expectedOrder = expected.map((entry) => entry.item).join('\u0000');
    if (order !== expectedOrder && mismatches.length === 0)
      problems.push(`${label}: location ${location} ranks its items differently from the truth`);
    actual.forEach((row, index) => {
      if (row.item_rank !== index + 1) problems.push(`${label}: location ${location} has rank ${row.item_rank} at position ${index + 1}`);
    });
  }
  return { mismatches, problems, locations: expectedLocations.length, rows: rows.length };
}
