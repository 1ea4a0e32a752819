import type { Int64 } from './ids';

export interface ItemCount {
  readonly name: string;
  readonly count: number;
}

/** One row of the output table: the rank-th most detected item of a location within a window. */
export interface TopItemRow {
  geographical_location_oid: Int64;
  geographical_location: string | null;
  item_rank: number;
  item_name: string;
  item_count: number;
  window: string;
  window_start: string | null;
  window_end: string | null;
}

export const DEFAULT_TOP = 10;
export const MAX_TOP = 1000;

/** Compares by Unicode code point, not UTF-16 unit, so astral characters sort where they belong. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates (0xD800-0xDFFF) sort differently by code point than by code unit: they stand for
    // code points above every BMP unit, including 0xE000-0xFFFF.
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Count descending, then item name ascending by code point: the same counts always give the same table. */
export function compareRanked(a: ItemCount, b: ItemCount): number {
  return b.count - a.count || compareCodePoints(a.name, b.name);
}

export function rankItems(counts: Iterable<ItemCount>, top: number): ItemCount[] {
  return [...counts]
    .filter((item) => item.count > 0)
    .sort(compareRanked)
    .slice(0, top);
}

export function parseTop(text: string | null | undefined): { ok: true; top: number } | { ok: false; problem: string } {
  if (text === null || text === undefined || text === '') return { ok: true, top: DEFAULT_TOP };
  if (!/^\d{1,4}$/.test(text)) return { ok: false, problem: `top: must be a whole number from 1 to ${MAX_TOP}` };
  const top = Number(text);
  return top >= 1 && top <= MAX_TOP ? { ok: true, top } : { ok: false, problem: `top: must be a whole number from 1 to ${MAX_TOP}` };
}
