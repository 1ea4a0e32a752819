import {
  bucketsOf,
  hourKeyOf,
  hourStartMs,
  isHourKey,
  isoInstant,
  MAX_LAST_HOURS,
  parseWindow,
  windowBounds,
  windowLabel,
} from '../../../shared/domain/windows';

const NOW = Date.UTC(2026, 10, 22, 10, 30);

describe('hour keys', () => {
  it('names the UTC hour of an event time, whatever hour was asked before', () => {
    expect(hourKeyOf(Date.UTC(2026, 10, 22, 10, 59, 59, 999))).toBe('2026-11-22T10');
    expect(hourKeyOf(Date.UTC(2026, 10, 22, 11))).toBe('2026-11-22T11');
    expect(hourKeyOf(Date.UTC(2026, 10, 22, 10))).toBe('2026-11-22T10');
    expect(hourKeyOf(0)).toBe('1970-01-01T00');
    expect(hourKeyOf(253_402_300_799_999)).toBe('9999-12-31T23');
  });

  it('round-trips with hourStartMs, and recognises only real hours', () => {
    expect(hourStartMs('2026-11-22T10')).toBe(Date.UTC(2026, 10, 22, 10));
    expect(['2026-11-22T10', '2024-02-29T23'].map(isHourKey)).toEqual([true, true]);
    expect(
      ['2026-02-29T10', '2026-11-22T24', '2026-13-01T00', '2026-11-22', '2026-11-22T1', ' 2026-11-22T10', 'all'].map(isHourKey),
    ).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('parseWindow', () => {
  it('reads all, one hour and the last N hours; nothing means all-time', () => {
    expect(parseWindow(undefined)).toEqual({ ok: true, window: { kind: 'all' } });
    expect(parseWindow(null)).toEqual({ ok: true, window: { kind: 'all' } });
    expect(parseWindow('')).toEqual({ ok: true, window: { kind: 'all' } });
    expect(parseWindow('all')).toEqual({ ok: true, window: { kind: 'all' } });
    expect(parseWindow('hour:2026-11-22T10')).toEqual({ ok: true, window: { kind: 'hour', hour: '2026-11-22T10' } });
    expect(parseWindow('last:6h')).toEqual({ ok: true, window: { kind: 'last', hours: 6 } });
    expect(parseWindow(`last:${MAX_LAST_HOURS}h`)).toEqual({ ok: true, window: { kind: 'last', hours: MAX_LAST_HOURS } });
  });

  it('refuses anything else, naming the window parameter', () => {
    for (const text of ['hour:2026-11-22T25', 'hour:', 'last:0h', `last:${MAX_LAST_HOURS + 1}h`, 'last:6', 'last:-1h', 'ALL', 'week']) {
      const parsed = parseWindow(text);
      expect(parsed.ok ? 'accepted' : parsed.problem).toMatch(/^window: /);
    }
  });

  it('labels windows as the query wrote them', () => {
    expect(
      [{ kind: 'all' as const }, { kind: 'hour' as const, hour: '2026-11-22T10' }, { kind: 'last' as const, hours: 3 }].map(windowLabel),
    ).toEqual(['all', 'hour:2026-11-22T10', 'last:3h']);
  });
});

describe('bucketsOf and windowBounds', () => {
  it('reads the current hour and the N-1 before it for last:Nh', () => {
    expect(bucketsOf({ kind: 'last', hours: 3 }, NOW)).toEqual({
      kind: 'hours',
      hours: ['2026-11-22T08', '2026-11-22T09', '2026-11-22T10'],
    });
    expect(windowBounds({ kind: 'last', hours: 3 }, NOW)).toEqual({ start: '2026-11-22T08:00:00.000Z', end: '2026-11-22T11:00:00.000Z' });
  });

  it('crosses midnight and month ends', () => {
    expect(bucketsOf({ kind: 'last', hours: 2 }, Date.UTC(2026, 11, 1, 0, 5))).toEqual({
      kind: 'hours',
      hours: ['2026-11-30T23', '2026-12-01T00'],
    });
  });

  it('reads one bucket for an hour, and the all-time bucket for all', () => {
    expect(bucketsOf({ kind: 'hour', hour: '2026-11-22T09' }, NOW)).toEqual({ kind: 'hours', hours: ['2026-11-22T09'] });
    expect(windowBounds({ kind: 'hour', hour: '2026-11-22T09' }, NOW)).toEqual({
      start: '2026-11-22T09:00:00.000Z',
      end: '2026-11-22T10:00:00.000Z',
    });
    expect(bucketsOf({ kind: 'all' }, NOW)).toEqual({ kind: 'all' });
    expect(windowBounds({ kind: 'all' }, NOW)).toEqual({ start: null, end: null });
  });
});

describe('isoInstant', () => {
  it('formats each instant as toISOString does, also when instants alternate', () => {
    const instants = [0, 1_796_354_123_456, 1_796_354_123_456, 1_796_354_123_457, 0, -1, 253_402_300_799_999];
    expect(instants.map(isoInstant)).toEqual(instants.map((ms) => new Date(ms).toISOString()));
  });

  it('refuses an instant that is not a date, as toISOString does', () => {
    expect(() => isoInstant(Number.NaN)).toThrow(RangeError);
    expect(isoInstant(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});
