import { decodeChanges } from '../../../shared/pipeline/changes';

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
      record,
    ]);
    expect(changes).toHaveLength(1);
    expect(malformed).toHaveLength(7);
    expect(malformed[6]).toBe('{"id":"metrics"}');
  });
});
