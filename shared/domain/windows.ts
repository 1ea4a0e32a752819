/**
 * Event-time windows. Counts are kept all-time and per UTC hour of `timestamp_detected`; a query asks
 * for all-time, one hour, or the last N hours (the current hour and the N-1 before it).
 */
export type HourKey = string; // "2026-11-22T10"

export type WindowQuery = { kind: 'all' } | { kind: 'hour'; hour: HourKey } | { kind: 'last'; hours: number };

export const ALL_TIME = 'all';
const HOUR_MS = 3_600_000;
export const MAX_LAST_HOURS = 24 * 366;
const HOUR_KEY = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/;

let cachedHourIndex = Number.NaN;
let cachedHourKey = '';

/** The UTC hour an event-time timestamp falls in, e.g. "2026-11-22T10". */
export function hourKeyOf(timestampMs: number): HourKey {
  const hourIndex = Math.floor(timestampMs / HOUR_MS);
  // Events arrive roughly in time order, so the last hour computed is usually the answer.
  if (hourIndex !== cachedHourIndex) {
    cachedHourIndex = hourIndex;
    cachedHourKey = new Date(hourIndex * HOUR_MS).toISOString().slice(0, 13);
  }
  return cachedHourKey;
}

let cachedInstantMs = Number.NaN;
let cachedInstant = '';

/**
 * An instant as ISO 8601 UTC text. Records stamped by one group commit share their millisecond, and
 * formatting a date is costly on a per-record path, so the last answer is kept.
 */
export function isoInstant(ms: number): string {
  if (ms !== cachedInstantMs) {
    cachedInstant = new Date(ms).toISOString();
    cachedInstantMs = ms;
  }
  return cachedInstant;
}

export function hourStartMs(hour: HourKey): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

export function isHourKey(text: string): boolean {
  const match = HOUR_KEY.exec(text);
  if (!match) return false;
  const start = hourStartMs(text);
  return Number.isFinite(start) && hourKeyOf(start) === text;
}

export type WindowParse = { ok: true; window: WindowQuery } | { ok: false; problem: string };

/** Parses `all`, `hour:2026-11-22T10` or `last:6h`. An absent window means all-time. */
export function parseWindow(text: string | null | undefined): WindowParse {
  if (text === null || text === undefined || text === '' || text === ALL_TIME) return { ok: true, window: { kind: 'all' } };
  if (text.startsWith('hour:')) {
    const hour = text.slice(5);
    return isHourKey(hour)
      ? { ok: true, window: { kind: 'hour', hour } }
      : { ok: false, problem: `window: "${hour}" is not a UTC hour like 2026-11-22T10` };
  }
  const last = /^last:(\d{1,5})h$/.exec(text);
  if (last) {
    const hours = Number(last[1]);
    if (hours >= 1 && hours <= MAX_LAST_HOURS) return { ok: true, window: { kind: 'last', hours } };
    return { ok: false, problem: `window: last:Nh takes N from 1 to ${MAX_LAST_HOURS}` };
  }
  return { ok: false, problem: 'window: use all, hour:YYYY-MM-DDTHH or last:Nh' };
}

export function windowLabel(window: WindowQuery): string {
  switch (window.kind) {
    case 'all':
      return ALL_TIME;
    case 'hour':
      return `hour:${window.hour}`;
    case 'last':
      return `last:${window.hours}h`;
  }
}

/** The hour buckets a window reads, or `all` for the all-time bucket. */
export function bucketsOf(window: WindowQuery, nowMs: number): { kind: 'all' } | { kind: 'hours'; hours: HourKey[] } {
  switch (window.kind) {
    case 'all':
      return { kind: 'all' };
    case 'hour':
      return { kind: 'hours', hours: [window.hour] };
    case 'last': {
      const current = Math.floor(nowMs / HOUR_MS);
      const hours: HourKey[] = [];
      for (let offset = window.hours - 1; offset >= 0; offset -= 1) hours.push(hourKeyOf((current - offset) * HOUR_MS));
      return { kind: 'hours', hours };
    }
  }
}

/** The span of time a window covers, for the output rows; all-time has no bounds. */
export function windowBounds(window: WindowQuery, nowMs: number): { start: string | null; end: string | null } {
  const buckets = bucketsOf(window, nowMs);
  if (buckets.kind === 'all') return { start: null, end: null };
  const first = buckets.hours[0] as HourKey;
  const last = buckets.hours[buckets.hours.length - 1] as HourKey;
  return { start: new Date(hourStartMs(first)).toISOString(), end: new Date(hourStartMs(last) + HOUR_MS).toISOString() };
}
