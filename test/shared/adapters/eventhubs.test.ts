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
  it('sends each camera with its own partition key, in order, splitting batches that fill up', async () => {
    const { producer, sent } = fakeProducer(2);
    const events = [event('1', 'A'), event('2', 'B'), event('3', 'A'), event('4', 'A'), event('5', 'B')];
    await new EventHubPublisher(producer).publish(events);

    const byKey = (key: string) => sent.filter((batch) => batch.partitionKey === key).map((batch) => batch.events.length);
    expect(byKey('A')).toEqual([2, 1]);
    expect(byKey('B')).toEqual([2]);
    const bodies = (key: string) =>
      sent
        .filter((batch) => batch.partitionKey === key)
        .flatMap((batch) => batch.events.map((data) => JSON.parse((data.body as Buffer).toString('utf8')) as DetectionWire));
    expect(bodies('A').map((wire) => wire.detection_oid)).toEqual(['1', '3', '4']);
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
