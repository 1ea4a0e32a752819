import { createMemoryServices } from '../../support/memory/services';
import { InMemoryDeadLetters, InMemoryDedupStore, InMemoryMetrics, ManualClock } from '../../support/memory';
import { ingestBatch, rawText } from '../../../shared/pipeline/ingest';
import { parseJsonExact } from '../../../shared/domain/json';

function deps(clock = new ManualClock()) {
  return {
    dedup: new InMemoryDedupStore({ ttlSeconds: 3600, clock }),
    deadLetters: new InMemoryDeadLetters(),
    metrics: new InMemoryMetrics(),
    locations: () => Promise.resolve(new Map([['1', 'Harbour']])),
    clock,
    dedupPartitions: 64,
  };
}

const event = (detection: string, item = 'car') =>
  `{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":${detection},"item_name":"${item}","timestamp_detected":1795341600000}`;

describe('ingestBatch', () => {
  it('summarises a batch and adds its counters to the metrics', async () => {
    const d = deps();
    const summary = await ingestBatch(
      [
        { body: event('1'), source: 'eventhub/0/1' },
        { body: event('1', 'bus'), source: 'eventhub/0/2' },
        { body: '{"x":1}', source: 'eventhub/0/3' },
      ],
      d,
    );
    expect(summary).toEqual({ received: 3, stored: 1, duplicates: 1, conflicts: 1, invalid: 1, unknown_location: 0 });
    expect(await d.metrics.read()).toEqual({ accepted: 0, stored: 1, duplicates: 1, conflicts: 1, invalid: 1, unknown_location: 0 });
  });

  it('remembers a detection for the dedup horizon only, counted from when it was stored', async () => {
    const clock = new ManualClock();
    const d = deps(clock);
    await ingestBatch([{ body: event('9'), source: 's/1' }], d);
    clock.advance(3599_000);
    expect((await ingestBatch([{ body: event('9'), source: 's/2' }], d)).duplicates).toBe(1);
    clock.advance(1_000);
    // Past the TTL the id is forgotten: the spec's horizon, which replay must respect.
    expect((await ingestBatch([{ body: event('9'), source: 's/3' }], d)).stored).toBe(1);
  });

  it('names the dead-letter batch after its first and last source', async () => {
    const d = deps();
    await ingestBatch(
      [
        { body: '{}', source: 'eventhub/2/10' },
        { body: '{}', source: 'eventhub/2/11' },
      ],
      d,
    );
    await ingestBatch([{ body: '{}', source: 'replay/file.avro/4' }], d);
    expect([...d.deadLetters.batches.keys()]).toEqual(['eventhub/2/10..11', 'replay/file.avro/4']);
  });

  it('does not load Dataset B for a batch with nothing valid', async () => {
    const d = { ...deps(), locations: () => Promise.reject(new Error('must not be called')) };
    await expect(ingestBatch([{ body: '{}', source: 's/1' }], d)).resolves.toMatchObject({ invalid: 1 });
  });
});

describe('rawText', () => {
  it('writes a parsed event back with its numbers digit for digit', () => {
    const value = parseJsonExact('{"detection_oid":9007199254740993,"t":1.50}');
    expect(rawText(value)).toBe('{"detection_oid":9007199254740993,"t":1.50}');
  });

  it('survives values it cannot serialize', () => {
    const deep: unknown[] = [];
    let cursor = deep;
    for (let depth = 0; depth < 200_000; depth += 1) {
      const inner: unknown[] = [];
      cursor.push(inner);
      cursor = inner;
    }
    expect(typeof rawText(deep)).toBe('string');
    expect(rawText(10n)).toBe('10');
  });
});

describe('conflicts within one batch', () => {
  it('judges a repeated copy against the copy already stored, not against the batch’s first copy', async () => {
    const services = createMemoryServices();
    const deps = { ...services, dedupPartitions: 64 };
    const original = {
      geographical_location_oid: 1,
      video_camera_oid: 2,
      detection_oid: 77,
      item_name: 'car',
      timestamp_detected: 1_700_000_000_000,
    };
    await ingestBatch([{ body: original, source: 'eh/0/1' }], deps);
    const summary = await ingestBatch(
      [
        { body: { ...original, item_name: 'bus' }, source: 'eh/0/2' },
        { body: original, source: 'eh/0/3' },
      ],
      deps,
    );
    expect(summary).toMatchObject({ stored: 0, duplicates: 2, conflicts: 1 });
  });
});
