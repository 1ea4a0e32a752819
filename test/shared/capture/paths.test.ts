import { captureBlobName, captureTimePrefixes, parseCaptureBlobName, selectCaptureBlobs } from '../../../shared/capture';

const location = { namespace: 'local', eventHub: 'detections' };

describe('capture blob names', () => {
  it('follow {Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second} with zero padding', () => {
    expect(captureBlobName(location, '3', Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('local/detections/3/2026/01/02/03/04/05.avro');
    expect(captureBlobName({ namespace: 'prod-ns', eventHub: 'hub' }, '12', Date.UTC(2026, 10, 22, 23, 59, 59))).toBe(
      'prod-ns/hub/12/2026/11/22/23/59/59.avro',
    );
  });

  it('parse back to their parts and time (whole seconds)', () => {
    expect(parseCaptureBlobName('ns/hub/1/2017/08/31/19/11/45.avro')).toEqual({
      namespace: 'ns',
      eventHub: 'hub',
      partitionId: '1',
      timeMs: Date.UTC(2017, 7, 31, 19, 11, 45),
      name: 'ns/hub/1/2017/08/31/19/11/45.avro',
    });
    expect(parseCaptureBlobName('ns/hub/1/2017/08/31/19/11/45')?.timeMs).toBe(Date.UTC(2017, 7, 31, 19, 11, 45));
  });

  it.each([
    'ns/hub/1/2017/8/31/19/11/45.avro',
    'ns/hub/1/2017/02/30/19/11/45.avro',
    'ns/hub/1/2017/08/31/24/11/45.avro',
    'ns/hub/2017/08/31/19/11/45.avro',
    'deadletter/2026/11/22/x.jsonl',
  ])('reject %s', (name) => {
    expect(parseCaptureBlobName(name)).toBeNull();
  });

  it('refuse segments that would change the path', () => {
    expect(() => captureBlobName({ namespace: 'a/b', eventHub: 'h' }, '0', 0)).toThrow(/namespace/);
    expect(() => captureBlobName(location, '', 0)).toThrow(/partition/);
  });
});

describe('selecting blobs of a time range', () => {
  it('keeps [from, to) of this event hub, oldest first then by partition number', () => {
    const names = [
      'local/detections/10/2026/11/22/10/00/00.avro',
      'local/detections/2/2026/11/22/10/00/00.avro',
      'local/detections/0/2026/11/22/10/01/00.avro',
      'local/detections/0/2026/11/22/09/59/59.avro',
      'local/detections/0/2026/11/22/10/02/00.avro',
      'local/other/0/2026/11/22/10/00/30.avro',
      'local/detections/0/notes.txt',
    ].map((name) => ({ name }));
    const selected = selectCaptureBlobs(location, names, Date.UTC(2026, 10, 22, 10), Date.UTC(2026, 10, 22, 10, 2));
    expect(selected.map((blob) => blob.name)).toEqual([
      'local/detections/2/2026/11/22/10/00/00.avro',
      'local/detections/10/2026/11/22/10/00/00.avro',
      'local/detections/0/2026/11/22/10/01/00.avro',
    ]);
  });

  it('lists by hour prefixes for short ranges and by day beyond two days', () => {
    expect(captureTimePrefixes(Date.UTC(2026, 10, 22, 22, 30), Date.UTC(2026, 10, 23, 1))).toEqual([
      '2026/11/22/22/',
      '2026/11/22/23/',
      '2026/11/23/00/',
    ]);
    expect(captureTimePrefixes(Date.UTC(2026, 10, 22, 22), Date.UTC(2026, 10, 25, 1))).toEqual([
      '2026/11/22/',
      '2026/11/23/',
      '2026/11/24/',
      '2026/11/25/',
    ]);
    expect(captureTimePrefixes(5, 5)).toEqual([]);
  });
});
