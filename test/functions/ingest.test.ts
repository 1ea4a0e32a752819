import { ingest } from '../../functions/ingest';
import { dedupPartitionOf } from '../../shared/domain/partitioning';
import { eventHubContext, eventJson, installMemoryServices } from './support';

const locations = new Map([
  ['1', 'Harbour'],
  ['9223372036854775807', 'Old Town'],
]);

/** Event bodies as the host delivers them with dataType 'binary': one Buffer per event. */
const asBinary = (...bodies: string[]): Buffer[] => bodies.map((body) => Buffer.from(body, 'utf8'));

describe('ingest (Event Hubs trigger, cardinality many)', () => {
  it('stores each new detection with id = detection oid in its dedup partition, joined with Dataset B', async () => {
    const services = installMemoryServices({ locations });
    const { context } = eventHubContext('3', [100, 101]);
    await ingest(
      asBinary(eventJson({ detection: '9007199254740993', location: '9223372036854775807' }), eventJson({ detection: '9007199254740992' })),
      context,
    );

    const changes = services.dedup.changes();
    expect(changes.map((change) => [change.id, change.pk, change.locationOid, change.location])).toEqual([
      ['9007199254740993', dedupPartitionOf('9007199254740993', 64), '9223372036854775807', 'Old Town'],
      ['9007199254740992', dedupPartitionOf('9007199254740992', 64), '1', 'Harbour'],
    ]);
    expect(changes[0]).toMatchObject({
      cameraOid: '10',
      itemName: 'car',
      timestampMs: 1795341600000,
      storedAt: '2026-11-22T10:30:00.000Z',
    });
    expect(await services.metrics.read()).toMatchObject({ stored: 2, duplicates: 0, invalid: 0 });
  });

  it('dead-letters invalid events with their reason and source, and does not fail the batch', async () => {
    const services = installMemoryServices({ locations });
    const { context } = eventHubContext('3', [200, 201, 202, 203]);
    await expect(
      ingest(
        asBinary(
          eventJson({ detection: '1' }),
          eventJson({ detection: '2', timestamp: '1.5' }),
          'not json at all',
          eventJson({ detection: '3', item: '7' }),
        ),
        context,
      ),
    ).resolves.toBeUndefined();

    expect(services.dedup.changes().map((change) => change.id)).toEqual(['1']);
    const letters = services.deadLetters.all();
    expect(letters.map((letter) => [letter.source, letter.reason])).toEqual([
      ['eventhub/3/201', 'timestamp_detected: must be an integer of epoch milliseconds, got the number 1.5'],
      ['eventhub/3/202', expect.stringMatching(/^message: the body is not JSON/) as unknown],
      ['eventhub/3/203', 'item_name: must be a string, got number'],
    ]);
    expect(letters[0]!.raw).toContain('1.5');
    expect([...services.deadLetters.batches.keys()]).toEqual(['eventhub/3/200..203']);
    expect(await services.metrics.read()).toMatchObject({ stored: 1, invalid: 3 });
  });

  it('counts duplicates, within a batch and across batches, and conflicts when the copies differ', async () => {
    const services = installMemoryServices({ locations });
    await ingest(
      asBinary(eventJson({ detection: '5' }), eventJson({ detection: '5' }), eventJson({ detection: '6' })),
      eventHubContext('0', [1, 2, 3]).context,
    );
    await ingest(
      asBinary(eventJson({ detection: '6' }), eventJson({ detection: '5', item: '"bus"' }), eventJson({ detection: '7', location: '1' })),
      eventHubContext('0', [4, 5, 6]).context,
    );
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['5', '6', '7']);
    expect(await services.metrics.read()).toMatchObject({ stored: 3, duplicates: 3, conflicts: 1 });
  });

  it('counts a detection of a location missing from Dataset B, with a null location', async () => {
    const services = installMemoryServices({ locations });
    await ingest(asBinary(eventJson({ detection: '8', location: '424242' })), eventHubContext('1', [9]).context);
    expect(services.dedup.changes()[0]).toMatchObject({ id: '8', locationOid: '424242', location: null });
    expect(await services.metrics.read()).toMatchObject({ stored: 1, unknown_location: 1 });
  });

  it('reads string bodies and NDJSON messages as well as bytes', async () => {
    const services = installMemoryServices({ locations });
    await ingest(
      [`${eventJson({ detection: '9007199254740993' })}\n${eventJson({ detection: '12' })}`],
      eventHubContext('2', [50]).context,
    );
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['9007199254740993', '12']);
  });

  it('throws on a store fault so the retry policy redelivers, and the redelivery counts each detection once', async () => {
    const services = installMemoryServices({ locations });
    const batch = asBinary(eventJson({ detection: '20' }), eventJson({ detection: '21' }));
    services.dedup.failNext();
    await expect(ingest(batch, eventHubContext('4', [70, 71]).context)).rejects.toThrow(/429/);
    await ingest(batch, eventHubContext('4', [70, 71]).context);
    await ingest(batch, eventHubContext('4', [70, 71]).context);
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['20', '21']);
    expect(await services.metrics.read()).toMatchObject({ stored: 2, duplicates: 2 });
  });

  it('writes to the dedup store once per batch, not once per event', async () => {
    const services = installMemoryServices({ locations });
    await ingest(
      asBinary(...Array.from({ length: 200 }, (_, index) => eventJson({ detection: String(index + 1) }))),
      eventHubContext('0', []).context,
    );
    expect(services.dedup.calls).toBe(1);
    expect(services.dedup.changes()).toHaveLength(200);
  });

  it("logs the partition's lag (age of the batch's last event) once per invocation, retries included", async () => {
    const services = installMemoryServices({ locations });
    const batch = asBinary(eventJson({ detection: '30' }), eventJson({ detection: '31' }));
    const lagLines = (logs: { message: string }[]) => logs.filter((log) => log.message.startsWith('partition-lag '));

    const first = eventHubContext('5', [80, 81]);
    services.dedup.failNext();
    await expect(ingest(batch, first.context)).rejects.toThrow(/429/);
    // The trigger metadata's enqueued times are 10:00:00; the clock says 10:30:00.
    expect(lagLines(first.logs).map((log) => log.message)).toEqual(['partition-lag {"partition":"5","lagSeconds":1800,"events":2}']);
    expect(first.logs.find((log) => log.message.startsWith('partition-lag '))?.level).toBe('information');

    services.clock.advance(90_500);
    const retry = eventHubContext('5', [80, 81]);
    await ingest(batch, retry.context);
    expect(lagLines(retry.logs).map((log) => JSON.parse(log.message.slice('partition-lag '.length)) as unknown)).toEqual([
      { partition: '5', lagSeconds: 1890.5, events: 2 },
    ]);
  });

  it('is registered to receive raw bytes, in batches, with an unbounded retry policy', async () => {
    let options: unknown;
    await jest.isolateModulesAsync(async () => {
      const { app } = await import('@azure/functions');
      jest.spyOn(app, 'eventHub').mockImplementation((_name, registered) => {
        options = registered;
      });
      await import('../../functions/ingest.js');
    });
    expect(options).toMatchObject({
      connection: 'EventHubConnection',
      eventHubName: '%EVENTHUB_NAME%',
      consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
      cardinality: 'many',
      dataType: 'binary',
      retry: { strategy: 'exponentialBackoff', maxRetryCount: -1 },
    });
  });
});
