import type { CounterWindow } from './counters';
import { ALL_TIME, type HourKey, hourKeyOf, hourStartMs } from './windows';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Hourly counters (and their rows) are kept for a number of days after their hour ends; all-time
 * counters forever. The expiry is fixed by the hour, not by the last write, so a late detection
 * does not extend the life of an old hour.
 */
export interface Retention {
  /** Infinity keeps every hour. */
  readonly hourlyDays: number;
}

/** When an hourly window stops being served (ms); null for all-time. */
export function expiresAtMs(window: CounterWindow, retention: Retention): number | null {
  if (window === ALL_TIME) return null;
  return hourStartMs(window) + HOUR_MS + retention.hourlyDays * DAY_MS;
}

/** Whether a window is still served at `nowMs`. */
export function isRetained(window: CounterWindow, nowMs: number, retention: Retention): boolean {
  const expires = expiresAtMs(window, retention);
  return expires === null || expires > nowMs;
}

/**
 * The per-item `ttl` (seconds) of a document of this window written at `nowMs`: undefined for
 * all-time (the container default, -1, keeps it), at least 1 otherwise (Cosmos DB takes -1 or a
 * positive number). Cosmos DB counts a ttl from the item's last write, hence "remaining".
 */
export function ttlSecondsAt(window: CounterWindow, nowMs: number, retention: Retention): number | undefined {
  const expires = expiresAtMs(window, retention);
  if (expires === null || !Number.isFinite(expires)) return undefined;
  return Math.max(1, Math.ceil((expires - nowMs) / 1000));
}

/** The oldest hour still served at `nowMs`: every hour key below it has expired. */
export function oldestRetainedHour(nowMs: number, retention: Retention): HourKey {
  // The hour h is retained while start(h) + 1 h + days > now, i.e. start(h) > now - days - 1 h.
  const boundary = nowMs - retention.hourlyDays * DAY_MS - HOUR_MS;
  return hourKeyOf((Math.floor(boundary / HOUR_MS) + 1) * HOUR_MS);
}
