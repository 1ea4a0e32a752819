import { countedChange } from '../../support/aggregation';
import { changesAfter, parseTallyDocument, runsByPartition, tallyId, tallyOf } from '../../../shared/domain/tallies';

const change = countedChange;

describe('runsByPartition', () => {
  it('splits a batch per partition, each run in sequence order with a repeated change once', () => {
    const runs = runsByPartition([change('b', 7), change('a', 3), change('a', 1), change('b', 7), change('a', 2)]);
    expect([...runs].map(([partition, run]) => [partition, run.map((c) => c.sequence)])).toEqual([
      ['b', [7]],
      ['a', [1, 2, 3]],
    ]);
  });
});

describe('tallyOf', () => {
  it('sums a run per location, hour and item, named by its partition and first sequence', () => {
    const tally = tallyOf([
      change('a', 4),
      change('a', 5, 'bus'),
      change('a', 6),
      change('a', 8, 'car', { timestampMs: Date.UTC(2026, 10, 21, 23, 59) }),
      change('a', 9, 'bike', { locationOid: '9007199254740993', location: null }),
    ]);
    expect(tally).toEqual({
      id: 'a:4',
      partition: 'a',
      firstSequence: 4,
      lastSequence: 9,
      changes: 5,
      locations: [
        {
          locationOid: '1',
          location: 'Harbour',
          counts: [
            ['2026-11-21T23', 'car', 1],
            ['2026-11-22T10', 'bus', 1],
            ['2026-11-22T10', 'car', 2],
          ],
        },
        { locationOid: '9007199254740993', location: null, counts: [['2026-11-22T10', 'bike', 1]] },
      ],
    });
  });

  it('keeps the latest known name of a location, and item names with any character', () => {
    const tally = tallyOf([
      change('a', 1, 'a\u0000b'),
      change('a', 2, 'a\u0000b', { location: null }),
      change('a', 3, '🚗', { location: 'Quay' }),
    ]);
    expect(tally.locations).toEqual([
      {
        locationOid: '1',
        location: 'Quay',
        counts: [
          ['2026-11-22T10', 'a\u0000b', 2],
          ['2026-11-22T10', '🚗', 1],
        ],
      },
    ]);
  });

  it('refuses an empty run and a run of two partitions', () => {
    expect(() => tallyOf([])).toThrow(/at least one change/);
    expect(() => tallyOf([change('a', 1), change('b', 2)])).toThrow(/one partition/);
  });
});

describe('changesAfter', () => {
  it('keeps what lies beyond an existing tally', () => {
    expect(changesAfter([change('a', 1), change('a', 2), change('a', 5)], 2).map((c) => c.sequence)).toEqual([5]);
    expect(changesAfter([change('a', 1)], 9)).toEqual([]);
  });
});

describe('parseTallyDocument', () => {
  const tally = tallyOf([change('17', 40), change('17', 41, 'bus')]);
  const document = { ...tally, partition: undefined, pk: '17', type: 'tally', _lsn: 3, _etag: '"e"' };

  it('reads a tally as the feed delivers it', () => {
    expect(parseTallyDocument(document)).toEqual({ ok: true, tally });
    expect(tallyId('17', 40)).toBe('17:40');
  });

  it.each([
    ['null', null, /not an object/],
    ['no pk', { ...document, pk: undefined }, /pk/],
    ['sequences out of order', { ...document, firstSequence: 50 }, /in order/],
    ['an id that is not pk:first', { ...document, id: '17:39' }, /id is not "17:40"/],
    ['changes that are not a count', { ...document, changes: 0 }, /changes/],
    ['a location oid that is not canonical', { ...document, locations: [{ ...tally.locations[0], locationOid: '01' }] }, /canonical int64/],
    [
      'an hour that is not an hour key',
      { ...document, locations: [{ ...tally.locations[0], counts: [['2026-11-22', 'car', 2]] }] },
      /hour key/,
    ],
    ['a count of zero', { ...document, locations: [{ ...tally.locations[0], counts: [['2026-11-22T10', 'car', 0]] }] }, /positive integer/],
    ['counts that do not add up', { ...document, changes: 3 }, /add up to 2, not to changes \(3\)/],
  ])('reports %s with the reason', (_name, value, problem) => {
    const parsed = parseTallyDocument(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});
