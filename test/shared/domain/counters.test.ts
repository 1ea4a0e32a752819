import {
  type CountedChange,
  counterKey,
  emptyCounter,
  foldChanges,
  groupByCounter,
  mergeItems,
  rowsOfCounter,
  windowLabelOf,
} from '../../../shared/domain/counters';

const T10 = Date.UTC(2026, 10, 22, 10, 15);
const NOW = Date.UTC(2026, 10, 22, 10, 30);

const change = (partition: string, sequence: number, itemName = 'car', overrides: Partial<CountedChange> = {}): CountedChange => ({
  partition,
  sequence,
  detectionOid: `${partition}-${sequence}`,
  locationOid: '1',
  location: 'Harbour',
  itemName,
  timestampMs: T10,
  ...overrides,
});

describe('foldChanges', () => {
  it('counts each change once and raises the watermark of its partition', () => {
    const fold = foldChanges(emptyCounter('1', 'all'), [change('a', 5), change('a', 3, 'bus'), change('b', 9)], NOW);
    expect(fold).toMatchObject({ applied: 3, skipped: 0 });
    expect(fold.state).toEqual({
      locationOid: '1',
      location: 'Harbour',
      window: 'all',
      items: [
        { name: 'car', count: 2 },
        { name: 'bus', count: 1 },
      ],
      total: 3,
      watermarks: { a: 5, b: 9 },
      updatedAt: new Date(NOW).toISOString(),
    });
  });

  it('skips what is at or below the watermark: the same batch twice counts once', () => {
    const batch = [change('a', 1), change('a', 2), change('b', 1)];
    const first = foldChanges(emptyCounter('1', 'all'), batch, NOW);
    const second = foldChanges(first.state, batch, NOW + 1000);
    expect(second).toMatchObject({ applied: 0, skipped: 3 });
    expect(second.state).toBe(first.state);
  });

  it('counts only the new part of an overlapping superset', () => {
    const first = foldChanges(emptyCounter('1', 'all'), [change('a', 1), change('a', 2)], NOW);
    const superset = foldChanges(first.state, [change('a', 1), change('a', 2), change('a', 3, 'bus'), change('b', 1, 'bus')], NOW);
    expect(superset).toMatchObject({ applied: 2, skipped: 2 });
    expect(superset.state.items).toEqual([
      { name: 'bus', count: 2 },
      { name: 'car', count: 2 },
    ]);
    expect(superset.state.total).toBe(4);
    expect(superset.state.watermarks).toEqual({ a: 3, b: 1 });
  });

  it('counts a change repeated inside one batch once', () => {
    const fold = foldChanges(emptyCounter('1', 'all'), [change('a', 4), change('a', 4)], NOW);
    expect(fold).toMatchObject({ applied: 1, skipped: 1 });
  });

  it('keeps watermarks of partitions the batch did not touch', () => {
    const start = { ...emptyCounter('1', 'all'), watermarks: { z: 100 } };
    expect(foldChanges(start, [change('a', 1)], NOW).state.watermarks).toEqual({ z: 100, a: 1 });
  });

  it('learns the location name when a change knows it, and keeps it when a later one does not', () => {
    const unknown = foldChanges(emptyCounter('1', 'all'), [change('a', 1, 'car', { location: null })], NOW);
    expect(unknown.state.location).toBeNull();
    const known = foldChanges(unknown.state, [change('a', 2)], NOW);
    expect(known.state.location).toBe('Harbour');
    expect(foldChanges(known.state, [change('a', 3, 'car', { location: null })], NOW).state.location).toBe('Harbour');
  });
});

describe('groupByCounter', () => {
  it('puts each change in its location all-time counter and in its event-time hour', () => {
    const late = change('a', 2, 'bus', { timestampMs: Date.UTC(2026, 10, 21, 23, 59) });
    const other = change('b', 1, 'car', { locationOid: '9007199254740993' });
    const grouped = groupByCounter([change('a', 1), late, other]);
    expect([...grouped.keys()]).toEqual(['1', '9007199254740993']);
    expect([...grouped.get('1')!].map(([window, changes]) => [window, changes.map((c) => c.sequence)])).toEqual([
      ['all', [1, 2]],
      ['2026-11-22T10', [1]],
      ['2026-11-21T23', [2]],
    ]);
    expect([...grouped.get('9007199254740993')!.keys()]).toEqual(['all', '2026-11-22T10']);
  });
});

describe('mergeItems, rowsOfCounter and labels', () => {
  it('sums items over windows and ranks the sum', () => {
    const a = {
      ...emptyCounter('1', '2026-11-22T09'),
      items: [
        { name: 'car', count: 2 },
        { name: 'bus', count: 1 },
      ],
    };
    const b = {
      ...emptyCounter('1', '2026-11-22T10'),
      items: [
        { name: 'bus', count: 2 },
        { name: 'van', count: 3 },
      ],
    };
    expect(mergeItems([a, b])).toEqual([
      { name: 'bus', count: 3 },
      { name: 'van', count: 3 },
      { name: 'car', count: 2 },
    ]);
    expect(mergeItems([])).toEqual([]);
  });

  it('writes a counter as its top rows with the window they cover', () => {
    const state = {
      ...emptyCounter('9007199254740993', '2026-11-22T10'),
      location: 'Harbour',
      items: [
        { name: 'car', count: 2 },
        { name: 'bus', count: 1 },
      ],
    };
    expect(rowsOfCounter(state, 1)).toEqual([
      {
        geographical_location_oid: '9007199254740993',
        geographical_location: 'Harbour',
        item_rank: 1,
        item_name: 'car',
        item_count: 2,
        window: 'hour:2026-11-22T10',
        window_start: '2026-11-22T10:00:00.000Z',
        window_end: '2026-11-22T11:00:00.000Z',
      },
    ]);
    expect(
      rowsOfCounter({ ...state, window: 'all' }, 5).map((row) => [row.item_rank, row.window, row.window_start, row.window_end]),
    ).toEqual([
      [1, 'all', null, null],
      [2, 'all', null, null],
    ]);
  });

  it('names counters and windows', () => {
    expect(counterKey('1', 'all')).toBe('1|all');
    expect(windowLabelOf('all')).toBe('all');
    expect(windowLabelOf('2026-11-22T10')).toBe('hour:2026-11-22T10');
  });
});
