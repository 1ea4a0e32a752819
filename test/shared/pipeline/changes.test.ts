import { tallyOf } from '../../../shared/domain/tallies';
import { decodeChanges, decodeTallies } from '../../../shared/pipeline/changes';

const record = {
  id: '9007199254740993',
  pk: '12',
  _lsn: 77,
  locationOid: '1',
  location: null,
  cameraOid: '5',
  itemName: 'car',
  timestampMs: 1795341600000,
  storedAt: '2026-11-22T10:00:00.000Z',
};

describe('decodeChanges', () => {
  it('reads dedup records with their partition and change sequence', () => {
    expect(decodeChanges([record])).toEqual({
      changes: [
        {
          partition: '12',
          sequence: 77,
          detectionOid: '9007199254740993',
          locationOid: '1',
          location: null,
          itemName: 'car',
          timestampMs: 1795341600000,
        },
      ],
      malformed: [],
    });
  });

  it('reports, and never throws on, documents that are not dedup records', () => {
    const { changes, malformed } = decodeChanges([
      { ...record, _lsn: '77' },
      { ...record, pk: 12 },
      { ...record, location: 5 },
      { ...record, itemName: undefined },
      null,
      'text',
      { id: 'metrics' },
      // No hour window holds these: tallying them would throw, or make a tally nobody can read.
      { ...record, timestampMs: 1e20 },
      { ...record, timestampMs: 253_402_300_800_000 },
      { ...record, timestampMs: -1 },
      { ...record, timestampMs: 1.5 },
      record,
    ]);
    expect(changes).toHaveLength(1);
    expect(malformed).toHaveLength(11);
    expect(malformed[6]).toBe('{"id":"metrics"}');
  });
});

describe('decodeTallies', () => {
  const tally = tallyOf([
    { partition: '12', sequence: 77, detectionOid: '1', locationOid: '1', location: null, itemName: 'car', timestampMs: 1795341600000 },
  ]);
  const document = { id: tally.id, pk: '12', type: 'tally', firstSequence: 77, lastSequence: 77, changes: 1, locations: tally.locations };

  it('reads tallies, passes over cursors, and reports anything else with its reason', () => {
    const { tallies, malformed } = decodeTallies([
      { id: 'cursor', pk: '12', type: 'cursor', lastSequence: 77 },
      document,
      { ...document, changes: 2 },
      null,
    ]);
    expect(tallies).toEqual([tally]);
    expect(malformed).toEqual([expect.stringMatching(/^the counts add up to 1, not to changes \(2\): \{/), 'not an object: null']);
  });
});
