import {
  counterKey,
  emptyCounter,
  contributionsByCounter,
  foldContributions,
  mergeItems,
  rowsOfCounter,
  windowLabelOf,
} from '../../../shared/domain/counters';
import { tallyOf } from '../../../shared/domain/tallies';
import { countedChange } from '../../support/aggregation';

const NOW = Date.UTC(2026, 10, 22, 10, 30);

const change = countedChange;

const contribution = (
  partition: string,
  first: number,
  last: number,
  items: Record<string, number>,
  location: string | null = 'Harbour',
) => ({
  partition,
  firstSequence: first,
  lastSequence: last,
  location,
  items: new Map(Object.entries(items)),
});

describe('foldContributions', () => {
  it('adds each contribution and raises its partition watermark to the contribution last sequence', () => {
    const fold = foldContributions(
      emptyCounter('1', 'all'),
      [contribution('a', 4, 5, { car: 2 }), contribution('a', 1, 3, { bus: 1 }), contribution('b', 9, 9, { car: 1 })],
      NOW,
    );
    expect(fold).toMatchObject({ applied: 4, skipped: 0 });
    expect(fold.state).toEqual({
      locationOid: '1',
      location: 'Harbour',
      window: 'all',
      items: [
        { name: 'car', count: 3 },
        { name: 'bus', count: 1 },
      ],
      total: 4,
      watermarks: { a: 5, b: 9 },
      updatedAt: new Date(NOW).toISOString(),
    });
  });

  it('skips a contribution that starts at or below the watermark: the same tallies twice count once', () => {
    const batch = [contribution('a', 1, 2, { car: 2 }), contribution('b', 1, 1, { car: 1 })];
    const first = foldContributions(emptyCounter('1', 'all'), batch, NOW);
    const second = foldContributions(first.state, batch, NOW + 1000);
    expect(second).toMatchObject({ applied: 0, skipped: 3 });
    expect(second.state).toBe(first.state);
  });

  it('folds only the new tallies of a batch that repeats earlier ones', () => {
    const first = foldContributions(emptyCounter('1', 'all'), [contribution('a', 1, 2, { car: 2 })], NOW);
    const next = foldContributions(
      first.state,
      [contribution('a', 1, 2, { car: 2 }), contribution('a', 3, 3, { bus: 1 }), contribution('b', 1, 1, { bus: 1 })],
      NOW,
    );
    expect(next).toMatchObject({ applied: 2, skipped: 2 });
    expect(next.state.items).toEqual([
      { name: 'bus', count: 2 },
      { name: 'car', count: 2 },
    ]);
    expect(next.state.total).toBe(4);
    expect(next.state.watermarks).toEqual({ a: 3, b: 1 });
  });

  it('counts a tally repeated inside one batch once', () => {
    const fold = foldContributions(
      emptyCounter('1', 'all'),
      [contribution('a', 4, 6, { car: 3 }), contribution('a', 4, 6, { car: 3 })],
      NOW,
    );
    expect(fold).toMatchObject({ applied: 3, skipped: 3 });
  });

  it('keeps watermarks of partitions the batch did not touch', () => {
    const start = { ...emptyCounter('1', 'all'), watermarks: { z: 100 } };
    expect(foldContributions(start, [contribution('a', 1, 1, { car: 1 })], NOW).state.watermarks).toEqual({ z: 100, a: 1 });
  });

  it('learns the location name when a contribution knows it, and keeps it when a later one does not', () => {
    const unknown = foldContributions(emptyCounter('1', 'all'), [contribution('a', 1, 1, { car: 1 }, null)], NOW);
    expect(unknown.state.location).toBeNull();
    const known = foldContributions(unknown.state, [contribution('a', 2, 2, { car: 1 })], NOW);
    expect(known.state.location).toBe('Harbour');
    expect(foldContributions(known.state, [contribution('a', 3, 3, { car: 1 }, null)], NOW).state.location).toBe('Harbour');
  });
});

describe('contributionsByCounter', () => {
  it('puts each tally location in its all-time counter and in every event-time hour it counts', () => {
    const late = change('a', 2, 'bus', { timestampMs: Date.UTC(2026, 10, 21, 23, 59) });
    const other = change('a', 3, 'car', { locationOid: '9007199254740993' });
    const tally = tallyOf([change('a', 1), late, other, change('a', 4)]);
    const grouped = contributionsByCounter([tally]);
    expect([...grouped.keys()]).toEqual(['1', '9007199254740993']);
    expect(
      [...grouped.get('1')!].map(([window, contributions]) => [
        window,
        contributions.map((c) => [c.partition, c.firstSequence, c.lastSequence, Object.fromEntries(c.items)]),
      ]),
    ).toEqual([
      ['all', [['a', 1, 4, { bus: 1, car: 2 }]]],
      ['2026-11-21T23', [['a', 1, 4, { bus: 1 }]]],
      ['2026-11-22T10', [['a', 1, 4, { car: 2 }]]],
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
