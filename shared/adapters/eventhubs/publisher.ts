import { type CreateBatchOptions, type EventData, EventHubProducerClient } from '@azure/event-hubs';
import type { Connection } from '../../config';
import type { DetectionWire } from '../../domain/detection';
import { packRows } from '../../domain/packing';
import type { EventPublisher } from '../../ports';
import { credentialFor } from '../credentials';

/** The part of EventHubProducerClient the publisher uses, so tests can stand in for Event Hubs. */
export interface BatchProducer {
  createBatch(options?: CreateBatchOptions): Promise<ProducerBatch>;
  sendBatch(batch: ProducerBatch): Promise<void>;
  close(): Promise<void>;
}

export interface ProducerBatch {
  readonly count: number;
  tryAdd(event: EventData): boolean;
}

export function createProducer(connection: Connection, eventHubName: string): EventHubProducerClient {
  return connection.kind === 'identity'
    ? new EventHubProducerClient(connection.endpoint, eventHubName, credentialFor(connection))
    : new EventHubProducerClient(connection.value, eventHubName);
}

const DEFAULT_CONCURRENCY = 16;

/**
 * Publishes detections to Event Hubs with the camera as partition key, so one camera's events stay in
 * order on one partition. A camera's detections are packed into as few events as fit the 64 KB
 * billing unit (domain/packing.ts), each body a UTF-8 JSON array of the wire form (ids as strings,
 * so every reader keeps them exact), and the events sent in as few batches as fit; `publish`
 * resolves only once Event Hubs has acknowledged every batch, which is what lets POST /api/events
 * answer 202.
 */
export class EventHubPublisher implements EventPublisher {
  constructor(
    private readonly producer: BatchProducer,
    private readonly concurrency = DEFAULT_CONCURRENCY,
  ) {}

  async publish(events: readonly DetectionWire[]): Promise<void> {
    const byCamera = new Map<string, DetectionWire[]>();
    for (const event of events) {
      const group = byCamera.get(event.video_camera_oid);
      if (group) group.push(event);
      else byCamera.set(event.video_camera_oid, [event]);
    }
    const groups = [...byCamera];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const [camera, group] = groups[next++] as [string, DetectionWire[]];
        await this.sendGroup(camera, group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, this.concurrency), groups.length) }, worker));
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  private async sendGroup(partitionKey: string, events: readonly DetectionWire[]): Promise<void> {
    let batch = await this.producer.createBatch({ partitionKey });
    for (const body of packRows(events.map((event) => JSON.stringify(event)))) {
      const data = packedEventData(body);
      if (batch.tryAdd(data)) continue;
      if (batch.count === 0) throw new Error(`a packed event of camera ${partitionKey} is too large for an Event Hubs batch`);
      await this.producer.sendBatch(batch);
      batch = await this.producer.createBatch({ partitionKey });
      if (!batch.tryAdd(data)) throw new Error(`a packed event of camera ${partitionKey} is too large for an Event Hubs batch`);
    }
    if (batch.count > 0) await this.producer.sendBatch(batch);
  }
}

/** A packed body: a JSON array of detections. */
export function packedEventData(body: string): EventData {
  return { body: Buffer.from(body, 'utf8'), contentType: 'application/json' };
}
