import type { EventData } from '@azure/event-hubs';
import { app } from '@azure/functions';
import { events } from '../../functions/events';
import { ingest } from '../../functions/ingest';
import { type BatchProducer, EventHubPublisher, type ProducerBatch } from '../../shared/adapters/eventhubs';
import { buildCaptureFile, CaptureWindow, InMemoryCaptureArchive } from '../../shared/capture';
import { PACKED_BODY_BYTES } from '../../shared/domain/packing';
import { useServices } from '../../functions/services';
import { eventHubContext, installMemoryServices, invocationContext, post, runAggregation } from './support';

// durable-functions registers activities through app.generic, which only the Functions host serves.
jest.spyOn(app, 'generic').mockImplementation(() => undefined);

/**
 * Detections packed into Event Hubs events, end to end: POST /api/events packs each camera's
 * detections into 64 KB JSON-array events under its partition key; the ingest trigger, Capture and
 * replay take those bodies as rows, and a bad row is dead-lettered under its event and row.
 */

class SentBatch implements ProducerBatch {
  readonly events: EventData[] = [];
  constructor(readonly partitionKey: string | undefined) {}
  get count(): number {
    return this.events.length;
  }
  tryAdd(event: EventData): boolean {
    // An Event Hubs batch holds up to 1 MB.
    const size = this.events.reduce((sum, data) => sum + (data.body as Buffer).length, 0);
    if (size + (event.body as Buffer).length > 1024 * 1024) return false;
    this.events.push(event);
    return true;
  }
}

function eventHubsStandIn() {
  const sent: SentBatch[] = [];
  const producer: BatchProducer = {
    createBatch: (options) => Promise.resolve(new SentBatch(options?.partitionKey)),
    sendBatch: (batch) => {
      sent.push(batch as SentBatch);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return { producer, sent };
}

const CAMERAS = ['11', '12', '9007199254740993'];
const ITEMS = ['car', 'bus', 'van', 'tram', 'bicycle'];

function detections(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, index) => ({
    geographical_location_oid: 1 + (index % 2),
    video_camera_oid: CAMERAS[index % CAMERAS.length],
    detection_oid: String(1_000_000 + index),
    item_name: `${ITEMS[index % ITEMS.length]} ${'·'.repeat(index % 7)}`,
    timestamp_detected: Date.UTC(2026, 10, 22, 9) + index * 1000,
  }));
}

function expectedCounts(rows: readonly Record<string, unknown>[]): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const location = String(row['geographical_location_oid']);
    const items = counts.get(location) ?? new Map<string, number>();
    counts.set(location, items.set(row['item_name'] as string, (items.get(row['item_name'] as string) ?? 0) + 1));
  }
  return counts;
}

const locations = new Map([
  ['1', 'Harbour'],
  ['2', 'Old Town'],
]);

describe('detections packed into Event Hubs events', () => {
  const rows = detections(3000);

  async function publish() {
    const services = installMemoryServices({ locations });
    const hub = eventHubsStandIn();
    useServices({ ...services, publisher: new EventHubPublisher(hub.producer) });
    const response = await events(post('/api/events', JSON.stringify(rows)), invocationContext({ functionName: 'events' }).context);
    expect(response.status).toBe(202);
    expect(response.jsonBody).toMatchObject({ accepted: rows.length, rejected: 0 });
    const packed = hub.sent.flatMap((batch) => batch.events.map((data) => ({ key: batch.partitionKey, body: data.body as Buffer })));
    return { services, packed };
  }

  it('packs each camera into as few events under 64 KB as fit, with the camera as partition key and its order kept', async () => {
    const { packed } = await publish();
    for (const camera of CAMERAS) {
      const own = packed.filter((event) => event.key === camera);
      const sentRows = own.flatMap(
        (event) => JSON.parse(event.body.toString('utf8')) as { detection_oid: string; video_camera_oid: string }[],
      );
      const wanted = rows.filter((row) => row['video_camera_oid'] === camera);
      expect(sentRows.map((row) => row.detection_oid)).toEqual(wanted.map((row) => row['detection_oid']));
      expect(new Set(sentRows.map((row) => row.video_camera_oid))).toEqual(new Set([camera]));
      const bytes = own.map((event) => event.body.length);
      for (const size of bytes) expect(size).toBeLessThanOrEqual(PACKED_BODY_BYTES);
      // As few as fit: every event but the last is too full to take the next row.
      const total = bytes.reduce((sum, size) => sum + size, 0);
      expect(own.length).toBe(Math.ceil(total / PACKED_BODY_BYTES));
    }
    // 3000 detections of about 150 bytes: a handful of events rather than 3000.
    expect(packed.length).toBeLessThan(15);
  });

  it('ingests packed bodies exactly once, and dead-letters a bad row naming its event and row', async () => {
    const { services, packed } = await publish();
    const bodies = packed.map((event) => event.body);
    await ingest(
      bodies,
      eventHubContext(
        '3',
        bodies.map((_, index) => 100 + index),
      ).context,
    );
    // The same events again (a redelivery), plus a tampered copy of the first one whose row 2 lost its item name.
    const tampered = JSON.parse(bodies[0]!.toString('utf8')) as Record<string, unknown>[];
    tampered[2] = { ...tampered[2], item_name: '' };
    const again = [...bodies, Buffer.from(JSON.stringify(tampered), 'utf8')];
    const { context, logs } = eventHubContext(
      '3',
      again.map((_, index) => 100 + index),
      'ingest-2',
    );
    await ingest(again, context);

    const letters = services.deadLetters.all();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ source: `eventhub/3/${100 + bodies.length}`, index: 2 });
    expect(letters[0]!.reason).toMatch(/item_name/);
    // One create per distinct id (the copies within the batch are judged in memory): every one a 409 now.
    expect(logs.find((log) => log.message.startsWith('cosmos-charges '))?.message).toBe(
      `cosmos-charges {"fn":"ingest","stored":0,"ops":{"dedup_conflict":{"n":${rows.length},"ru":0},"conflict_read":{"n":${rows.length},"ru":0},"metrics":{"n":1,"ru":0}}}`,
    );

    await runAggregation(services);
    const states = await services.counters.list({ windows: ['all'] });
    expect(new Map(states.map((state) => [state.locationOid, new Map(state.items.map((item) => [item.name, item.count]))]))).toEqual(
      expectedCounts(rows),
    );
  });

  it('replays packed bodies from a Capture file with the same counts', async () => {
    const { packed } = await publish();
    const services = installMemoryServices({ locations });
    const archive = new InMemoryCaptureArchive({ namespace: 'ehns', eventHub: 'detections' });
    useServices({ ...services, captures: archive });
    const startMs = Date.UTC(2026, 10, 22, 10, 0);
    const captured = packed.map((event, index) => ({ sequenceNumber: String(index), enqueuedMs: startMs, body: event.body }));
    const file = await buildCaptureFile({ namespace: 'ehns', eventHub: 'detections' }, '0', CaptureWindow.of(startMs, captured));
    await archive.write(file.name, file.bytes);

    const { replayBlob } = await import('../../functions/replayBlob.js');
    expect(await replayBlob({ blob: file.name })).toMatchObject({ status: 'replayed', events: packed.length, replayed: rows.length });
    await runAggregation(services);
    const states = await services.counters.list({ windows: ['all'] });
    expect(states.reduce((sum, state) => sum + state.total, 0)).toBe(rows.length);
  });
});
