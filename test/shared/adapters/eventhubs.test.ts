import type { EventData } from '@azure/event-hubs';
import { type BatchProducer, EventHubPublisher, type ProducerBatch } from '../../../shared/adapters/eventhubs';
import type { DetectionWire } from '../../../shared/domain/detection';

class FakeBatch implements ProducerBatch {
  readonly events: EventData[] = [];
  constructor(
    readonly partitionKey: string | undefined,
    private readonly capacity: number,
  ) {}
  get count(): number {
    return this.events.length;
  }
  tryAdd(event: EventData): boolean {
    if (this.events.length >= this.capacity) return false;
    this.events.push(event);
    return true;
  }
}

function fakeProducer(capacity: number) {
  const sent: FakeBatch[] = [];
  const producer: BatchProducer = {
    createBatch: (options) => Promise.resolve(new FakeBatch(options?.partitionKey, capacity)),
    sendBatch: (batch) => {
      sent.push(batch as FakeBatch);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { producer, sent };
}

const event = (detection: string, camera: string): DetectionWire => ({
  geographical_location_oid: '9007199254740993',
  video_camera_oid: camera,
  detection_oid: detection,
  item_name: 'car',
  timestamp_detected: 1_700_000_000_000,
});

describe('EventHubPublisher', () => {
  it('packs each camera into one event with its own partition key, in order, splitting batches that fill up', async () => {
    const { producer, sent } = fakeProducer(1);
    const filler = (n: string) => ({ ...event(n, 'A'), item_name: 'x'.repeat(65_000) });
    const events = [event('1', 'A'), event('2', 'B'), event('3', 'A'), filler('4'), event('5', 'B')];
    await new EventHubPublisher(producer).publish(events);

    const rowsOf = (key: string) =>
      sent
        .filter((batch) => batch.partitionKey === key)
        .map((batch) => batch.events.flatMap((data) => JSON.parse((data.body as Buffer).toString('utf8')) as DetectionWire[]));
    // Camera A: 1 and 3 share one event; 4 (64 KB) does not fit beside them and goes alone, in the next batch.
    expect(rowsOf('A').map((batch) => batch.map((wire) => wire.detection_oid))).toEqual([['1', '3'], ['4']]);
    expect(rowsOf('B').map((batch) => batch.map((wire) => wire.detection_oid))).toEqual([['2', '5']]);
  });

  it('writes the body as UTF-8 JSON with ids as strings, so no reader can round them', async () => {
    const { producer, sent } = fakeProducer(10);
    await new EventHubPublisher(producer).publish([event('9007199254740993', 'cam')]);
    const data = sent[0]!.events[0]!;
    expect(data.contentType).toBe('application/json');
    expect((data.body as Buffer).toString('utf8')).toContain('"detection_oid":"9007199254740993"');
  });

  it('fails on an event that fits no batch, rather than dropping it', async () => {
    const { producer } = fakeProducer(0);
    await expect(new EventHubPublisher(producer).publish([event('1', 'A')])).rejects.toThrow(/too large/);
  });

  it('sends nothing for no events', async () => {
    const { producer, sent } = fakeProducer(1);
    await new EventHubPublisher(producer).publish([]);
    expect(sent).toEqual([]);
  });
});
