import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryServices, ManualClock, type MemoryServices } from '../../support/memory';
import { buildCaptureFile, type CapturedInput, CaptureWindow, InMemoryCaptureArchive } from '../../../shared/capture';
import { ingestBatch } from '../../../shared/pipeline/ingest';
import {
  checkReplayHorizon,
  mapBounded,
  parseReplayRequest,
  replayBlob,
  replayRange,
  replayRangeWithRetries,
  type ReplayPosition,
  type ReplayDeps,
  summarizeReplay,
  replayLanes,
} from '../../../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../../../shared/pipeline/replayLimits';

const NOW = Date.UTC(2026, 10, 22, 10, 30);
const location = { namespace: 'local', eventHub: 'detections' };

const detection = (oid: string, item = 'car') =>
  Buffer.from(
    `{"geographical_location_oid":1,"video_camera_oid":10,"detection_oid":${oid},"item_name":"${item}","timestamp_detected":1795341600000}`,
  );

async function putBlob(archive: InMemoryCaptureArchive, partition: string, startMs: number, bodies: Buffer[]): Promise<string> {
  const events: CapturedInput[] = bodies.map((body, index) => ({ sequenceNumber: String(index), enqueuedMs: startMs + index, body }));
  const file = await buildCaptureFile(location, partition, CaptureWindow.of(startMs, events));
  await archive.write(file.name, file.bytes);
  return file.name;
}

function setup(): { services: MemoryServices; archive: InMemoryCaptureArchive; clock: ManualClock; deps: ReplayDeps } {
  const clock = new ManualClock(NOW);
  const services = createMemoryServices({ clock, config: { dedupTtlSeconds: 3600, replayGuardMinutes: 5 } });
  const archive = new InMemoryCaptureArchive(location);
  const deps: ReplayDeps = {
    captures: archive,
    ingest: (messages) => ingestBatch(messages, { ...services, dedupPartitions: services.config.dedupPartitions }),
    clock,
    dedupTtlSeconds: 3600,
    sliceEvents: 2,
  };
  return { services, archive, clock, deps };
}

describe('replayBlob', () => {
  it('ingests every event of a blob in chunks and counts what was new', async () => {
    const { services, archive, deps } = setup();
    const name = await putBlob(archive, '0', NOW - 10 * 60_000, [
      detection('1'),
      detection('2', 'bus'),
      detection('9007199254740993'),
      Buffer.from('not json'),
    ]);

    const result = await replayBlob(name, deps);

    expect(result).toEqual({
      blob: name,
      status: 'replayed',
      events: 4,
      replayed: 3,
      duplicates: 0,
      invalid: 1,
      conflicts: 0,
      unknownLocation: 3,
    });
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['1', '2', '9007199254740993']);
    // Dead letters name the blob and the sequence numbers, so a second replay overwrites them.
    expect([...services.deadLetters.batches.keys()]).toEqual([`capture/${name}/2..3`]);
  });

  it('replayed twice, stores nothing new: the second run is all duplicates', async () => {
    const { services, archive, deps } = setup();
    const name = await putBlob(archive, '1', NOW - 60_000, [detection('1'), detection('2'), detection('3')]);
    await replayBlob(name, deps);
    const second = await replayBlob(name, deps);
    expect(second).toMatchObject({ status: 'replayed', replayed: 0, duplicates: 3 });
    expect(services.dedup.changes()).toHaveLength(3);
  });

  it('reports a corrupt blob as failed with the reason, ingesting nothing from it', async () => {
    const { services, archive, deps } = setup();
    const name = await putBlob(archive, '0', NOW - 60_000, [detection('1'), detection('2')]);
    const bytes = (await archive.read(name))!;
    await archive.write(name, bytes.subarray(0, bytes.byteLength - 7));

    const result = await replayBlob(name, deps);
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/^corrupt capture file: truncated/);
    expect(services.dedup.changes()).toHaveLength(0);
  });

  it('reports a missing blob as failed', async () => {
    const { deps } = setup();
    expect(await replayBlob('local/detections/0/2026/11/22/10/00/00.avro', deps)).toMatchObject({
      status: 'failed',
      reason: 'blob not found',
    });
  });

  it('refuses a blob whose events the dedup store has already forgotten', async () => {
    const { services, archive, deps, clock } = setup();
    const name = await putBlob(archive, '0', NOW - 30 * 60_000, [detection('1')]);
    clock.advance(31 * 60_000); // the replay ran long: the event is now 61 minutes old, past the 1 h TTL
    const result = await replayBlob(name, deps);
    expect(result).toMatchObject({ status: 'failed', events: 1, replayed: 0 });
    expect(result.reason).toContain('past the dedup horizon');
    expect(services.dedup.changes()).toHaveLength(0);
  });
});

describe('replayRange', () => {
  /** Distinct detections with ~500-byte bodies: a few hundred make several Avro blocks. */
  const padded = (oid: number) =>
    Buffer.from(
      `{"geographical_location_oid":1,"video_camera_oid":10,"detection_oid":${oid},"item_name":"car","timestamp_detected":1795341600000,"note":"${String(oid).repeat(40).slice(0, 400)}"}`,
    );

  it('splits a blob into ranges by the event budget, each resuming where the last stopped: every event once', async () => {
    const { services, archive, deps } = setup();
    const count = 700;
    const name = await putBlob(
      archive,
      '0',
      NOW - 60_000,
      Array.from({ length: count }, (_, index) => padded(index + 1)),
    );
    const rangeDeps = { ...deps, sliceEvents: 50 };
    const positions: (ReplayPosition | null)[] = [];
    const sizes: number[] = [];
    let position: ReplayPosition | undefined;
    let replayed = 0;
    let events = 0;
    for (let ranges = 0; ranges < 100; ranges += 1) {
      const range = await replayRange(name, position, rangeDeps, { events: 120, ms: Infinity });
      expect(range.status).toBe('replayed');
      expect(range.duplicates).toBe(0);
      replayed += range.replayed;
      events += range.events;
      sizes.push(range.events);
      positions.push(range.next);
      if (range.next === null) break;
      position = range.next;
    }
    expect({ events, replayed }).toEqual({ events: count, replayed: count });
    expect(services.dedup.changes()).toHaveLength(count);
    // A range ends at the first slice boundary past the budget: at least 120 events, less than one slice more.
    expect(sizes.length).toBeGreaterThan(3);
    for (const size of sizes.slice(0, -1)) expect(size >= 120 && size < 170).toBe(true);
    // Ranges stop inside blocks (skip > 0) as well as at block boundaries.
    expect(positions.some((next) => next !== null && next.skip > 0)).toBe(true);
    expect(positions.at(-1)).toBeNull();
  });

  it('a retried range (the same position again) only finds duplicates', async () => {
    const { archive, deps } = setup();
    const name = await putBlob(
      archive,
      '0',
      NOW - 60_000,
      Array.from({ length: 300 }, (_, index) => padded(index + 1)),
    );
    const first = await replayRange(name, undefined, { ...deps, sliceEvents: 100 }, { events: 100, ms: Infinity });
    const middle = await replayRange(name, first.next!, { ...deps, sliceEvents: 100 }, { events: 100, ms: Infinity });
    const again = await replayRange(name, first.next!, { ...deps, sliceEvents: 100 }, { events: 100, ms: Infinity });
    expect(middle).toMatchObject({ events: 100, replayed: 100, duplicates: 0 });
    expect(again).toMatchObject({ events: 100, replayed: 0, duplicates: 100, next: middle.next });
  });

  it('stops at the next slice when asked to (the runtime is stopping), with the position to resume from', async () => {
    const { archive, deps } = setup();
    const name = await putBlob(
      archive,
      '0',
      NOW - 60_000,
      Array.from({ length: 10 }, (_, index) => padded(index + 1)),
    );
    const stopped = await replayRange(name, undefined, deps, { events: Infinity, ms: Infinity, stop: () => true });
    expect(stopped).toMatchObject({ status: 'replayed', events: 2, next: { skip: 2 } });
  });

  it('reports progress after every slice', async () => {
    const { archive, deps } = setup();
    const name = await putBlob(archive, '0', NOW - 60_000, [detection('1'), detection('2'), detection('3')]);
    const seen: number[] = [];
    await replayRange(name, undefined, { ...deps, onSlice: (progress) => seen.push(progress.events) });
    expect(seen).toEqual([2, 3]);
  });
});

describe('replayRangeWithRetries', () => {
  it('retries an infrastructure fault and then succeeds (already stored events come back as duplicates)', async () => {
    const { services, archive, deps } = setup();
    const name = await putBlob(archive, '0', NOW - 60_000, [detection('1'), detection('2'), detection('3')]);
    services.dedup.failNext();
    const sleeps: number[] = [];
    const result = await replayRangeWithRetries(name, undefined, deps, {
      attempts: 3,
      delayMs: 100,
      sleep: (ms) => Promise.resolve(void sleeps.push(ms)),
    });
    expect(result).toMatchObject({ status: 'replayed', replayed: 3 });
    expect(sleeps).toEqual([100]);
  });

  it('gives up after the last attempt and reports the fault as the blob failure', async () => {
    const { services, archive, deps } = setup();
    const name = await putBlob(archive, '0', NOW - 60_000, [detection('1')]);
    for (let i = 0; i < 3; i += 1) services.dedup.failNext();
    const sleeps: number[] = [];
    const result = await replayRangeWithRetries(name, undefined, deps, {
      attempts: 3,
      delayMs: 100,
      sleep: (ms) => Promise.resolve(void sleeps.push(ms)),
    });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/failed after 3 attempts: simulated 429/);
    expect(sleeps).toEqual([100, 200]);
  });
});

describe('checkReplayHorizon', () => {
  const settings = { dedupTtlSeconds: 3600, replayGuardMinutes: 5 };
  const earliest = NOW - 3600_000 + 5 * 60_000;

  it('allows a range that starts at or after now - TTL + guard', () => {
    expect(checkReplayHorizon({ fromMs: earliest, toMs: NOW }, settings, NOW)).toEqual({
      ok: true,
      earliestFrom: new Date(earliest).toISOString(),
    });
  });

  it('refuses one that starts earlier, saying where the horizon is and what to do', () => {
    const check = checkReplayHorizon({ fromMs: earliest - 1, toMs: NOW }, settings, NOW);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.horizon).toBe('2026-11-22T09:30:00.000Z');
    expect(check.earliestFrom).toBe('2026-11-22T09:35:00.000Z');
    expect(check.reason).toContain('1 h after it was first stored');
    expect(check.reason).toContain('no earlier than 2026-11-22T09:35:00.000Z');
    expect(check.reason).toContain('docs/recovery.md');
  });
});

describe('parseReplayRequest', () => {
  it('reads ISO times, a zone-less time as UTC', () => {
    expect(parseReplayRequest({ from: '2026-11-22T10:00:00Z', to: '2026-11-22T11:00' })).toEqual({
      ok: true,
      range: { fromMs: Date.UTC(2026, 10, 22, 10), toMs: Date.UTC(2026, 10, 22, 11) },
    });
    expect(parseReplayRequest({ from: '2026-11-22T12:00:00+02:00', to: '2026-11-23' })).toEqual({
      ok: true,
      range: { fromMs: Date.UTC(2026, 10, 22, 10), toMs: Date.UTC(2026, 10, 23) },
    });
  });

  it.each([
    [null, /JSON object/],
    [{ to: '2026-11-22T11:00:00Z' }, /^from:/],
    [{ from: 'yesterday', to: '2026-11-22T11:00:00Z' }, /^from:/],
    [{ from: '2026-11-22T10:00:00Z', to: 1795341600000 }, /^to:/],
    [{ from: '2026-11-22T10:00:00Z', to: '2026-11-22T10:00:00Z' }, /later than from/],
    [{ from: '2026-02-30T10:00:00Z', to: '2026-03-01T10:00:00Z' }, /^from:/],
  ])('rejects %j', (input, reason) => {
    const parsed = parseReplayRequest(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe('REPLAY_LIMITS', () => {
  it('slices no larger than a live Event Hubs batch, and fans out as far as the activities may', () => {
    const host = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'host.json'), 'utf8')) as {
      extensions: { eventHubs: { maxEventBatchSize: number }; durableTask: { maxConcurrentActivityFunctions: number } };
    };
    expect(REPLAY_LIMITS.sliceEvents).toBeLessThanOrEqual(host.extensions.eventHubs.maxEventBatchSize);
    expect(REPLAY_LIMITS.parallelism).toBe(host.extensions.durableTask.maxConcurrentActivityFunctions);
  });
});

describe('helpers', () => {
  it('summarizeReplay adds the counts and the failed blobs', () => {
    const base = { events: 2, replayed: 1, duplicates: 1, invalid: 0, conflicts: 0, unknownLocation: 0 };
    expect(
      summarizeReplay([
        { blob: 'a', status: 'replayed', ...base },
        { blob: 'b', status: 'failed', ...base, replayed: 0, duplicates: 0, events: 0, reason: 'x' },
        { blob: 'c', status: 'replayed', ...base, invalid: 3 },
      ]),
    ).toEqual({ blobs: 3, events: 4, replayed: 2, duplicates: 2, invalid: 3, failed: 1 });
  });

  it('mapBounded keeps input order and never runs more than asked at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 0, 6], 3, async (value) => {
      running += 1;
      peak = Math.max(peak, running);
      for (let tick = 0; tick < value; tick += 1) await Promise.resolve();
      running -= 1;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});

describe('replayLanes', () => {
  it('makes one lane per partition of an event hub, each in time order, and a lane of each foreign name', () => {
    expect(
      replayLanes([
        'ns/hub/1/2026/11/22/10/20/00.avro',
        'ns/hub/0/2026/11/22/10/05/00.avro',
        'ns/hub/1/2026/11/22/09/59/59.avro',
        'ns/other/1/2026/11/22/10/00/00.avro',
        'not a capture name',
      ]),
    ).toEqual([
      ['ns/hub/1/2026/11/22/09/59/59.avro', 'ns/hub/1/2026/11/22/10/20/00.avro'],
      ['ns/hub/0/2026/11/22/10/05/00.avro'],
      ['ns/other/1/2026/11/22/10/00/00.avro'],
      ['not a capture name'],
    ]);
  });
});
