import { app, type GenericFunctionOptions } from '@azure/functions';
import type * as ReplayBlobModule from '../../functions/replayBlob.js';
import type * as ListBlobsModule from '../../functions/replayListBlobs.js';
import { createMemoryServices, ManualClock, type MemoryServices } from '../support/memory';
import { buildCaptureFile, CaptureWindow, InMemoryCaptureArchive } from '../../shared/capture';
import { useServices } from '../../functions/services';

const registered = new Map<string, GenericFunctionOptions>();
jest.spyOn(app, 'generic').mockImplementation((name: string, options: GenericFunctionOptions) => {
  registered.set(name, options);
});

let replayListBlobs: typeof ListBlobsModule.replayListBlobs;
let replayBlob: typeof ReplayBlobModule.replayBlob;
beforeAll(async () => {
  ({ replayListBlobs } = await import('../../functions/replayListBlobs.js'));
  ({ replayBlob } = await import('../../functions/replayBlob.js'));
});

const NOW = Date.UTC(2026, 10, 22, 10, 30);
const location = { namespace: 'ehns', eventHub: 'detections' };
let services: MemoryServices;
let archive: InMemoryCaptureArchive;

async function capture(partition: string, startMs: number, oids: string[]): Promise<string> {
  const events = oids.map((oid, index) => ({
    sequenceNumber: String(index),
    enqueuedMs: startMs,
    body: Buffer.from(
      `{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":${oid},"item_name":"car","timestamp_detected":1795341600000}`,
    ),
  }));
  const file = await buildCaptureFile(location, partition, CaptureWindow.of(startMs, events));
  await archive.write(file.name, file.bytes);
  return file.name;
}

beforeEach(() => {
  services = createMemoryServices({ clock: new ManualClock(NOW) });
  archive = new InMemoryCaptureArchive(location);
  useServices({ ...services, captures: archive });
});

describe('replay activities', () => {
  it('are registered as activity functions under their file names', () => {
    expect(registered.get('replayListBlobs')?.trigger.type).toBe('activityTrigger');
    expect(registered.get('replayBlob')?.trigger.type).toBe('activityTrigger');
  });

  it('replayListBlobs lists [from, to) in time order', async () => {
    const early = await capture('1', Date.UTC(2026, 10, 22, 10, 0), ['1']);
    const late = await capture('0', Date.UTC(2026, 10, 22, 10, 5), ['2']);
    await capture('0', Date.UTC(2026, 10, 22, 10, 10), ['3']);
    expect(await replayListBlobs({ from: '2026-11-22T10:00:00Z', to: '2026-11-22T10:10:00Z' })).toEqual([early, late]);
  });

  it('replayBlob ingests one blob through the ingest use-case and returns its counts', async () => {
    const name = await capture('0', Date.UTC(2026, 10, 22, 10, 0), ['1', '2', '1']);
    expect(await replayBlob({ blob: name })).toMatchObject({ blob: name, status: 'replayed', events: 3, replayed: 2, duplicates: 1 });
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['1', '2']);
    expect(await services.metrics.read()).toMatchObject({ stored: 2, duplicates: 1 });
  });

  it('replayBlob resumes a blob at the position an earlier range returned', async () => {
    const name = await capture('0', Date.UTC(2026, 10, 22, 10, 0), ['1', '2', '3']);
    const header = await replayBlob({ blob: name, position: { offset: 0, skip: 0 } }).catch((error: Error) => error);
    // Offset 0 is the header, not a block: only a position a range returned is meaningful.
    expect(header).toMatchObject({ status: 'failed' });
    const whole = await replayBlob({ blob: name });
    expect(whole).toMatchObject({ events: 3, replayed: 3, next: null });
  });

  it('replayBlob reports a corrupt blob instead of failing the activity', async () => {
    await archive.write('ehns/detections/0/2026/11/22/10/00/00.avro', Buffer.from('Obj\u0001 garbage'));
    const result = await replayBlob({ blob: 'ehns/detections/0/2026/11/22/10/00/00.avro' });
    expect(result).toMatchObject({ status: 'failed', replayed: 0 });
    expect(result.reason).toMatch(/corrupt capture file/);
  });

  it('fail loudly on a host without a capture archive or on bad input', async () => {
    useServices(services);
    await expect(replayListBlobs({ from: '2026-11-22T10:00:00Z', to: '2026-11-22T11:00:00Z' })).rejects.toThrow(/no capture archive/);
    await expect(replayBlob({})).rejects.toThrow(/"blob"/);
    useServices({ ...services, captures: archive });
    await expect(replayBlob({ blob: 'a.avro', position: { offset: -1, skip: 0 } })).rejects.toThrow(/position must be/);
    await expect(replayBlob({ blob: 'a.avro', position: { offset: 10 } })).rejects.toThrow(/position must be/);
  });
});
