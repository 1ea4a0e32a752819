import { expiresAtMs, isRetained, oldestRetainedHour, ttlSecondsAt } from '../../../shared/domain/retention';

const DAY = 86_400_000;
const retention = { hourlyDays: 90 };

describe('hourly retention', () => {
  it('expires an hour HOURLY_RETENTION_DAYS after the hour ends, and all-time never', () => {
    expect(expiresAtMs('2026-11-22T10', retention)).toBe(Date.UTC(2026, 10, 22, 11) + 90 * DAY);
    expect(expiresAtMs('all', retention)).toBeNull();
    expect(isRetained('all', Number.MAX_SAFE_INTEGER, retention)).toBe(true);
  });

  it('gives the remaining seconds as ttl, at least 1, and none for all-time', () => {
    const end = Date.UTC(2026, 10, 22, 11);
    expect(ttlSecondsAt('2026-11-22T10', end, retention)).toBe(90 * 86_400);
    expect(ttlSecondsAt('2026-11-22T10', end + 90 * DAY - 1, retention)).toBe(1);
    expect(ttlSecondsAt('2026-11-22T10', end + 365 * DAY, retention)).toBe(1);
    expect(ttlSecondsAt('all', end, retention)).toBeUndefined();
    expect(ttlSecondsAt('2026-11-22T10', end, { hourlyDays: Number.POSITIVE_INFINITY })).toBeUndefined();
  });

  it('names the oldest hour still served, agreeing with isRetained at the boundary', () => {
    const now = Date.UTC(2026, 10, 22, 11) + 90 * DAY;
    // 2026-11-22T10 ends exactly 90 days before now: expired; the next hour is the oldest kept.
    expect(isRetained('2026-11-22T10', now, retention)).toBe(false);
    expect(isRetained('2026-11-22T11', now, retention)).toBe(true);
    expect(oldestRetainedHour(now, retention)).toBe('2026-11-22T11');
    expect(oldestRetainedHour(now - 1, retention)).toBe('2026-11-22T10');
  });
});
