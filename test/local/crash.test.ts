/**
 * kill -9 at any moment loses nothing that got a 202 and never double-counts: a known stream is
 * posted in chunks by concurrent posters, the runtime is killed mid-stream, restarted on the same
 * data and killed mid-stream again, and restarted once more. Then every count must equal the number of
 * distinct valid detections among the chunks that were acknowledged; after the client retries the
 * unacknowledged chunks (as any client would), every count must equal the whole stream's.
 */
import { getJson, type Health, postEvents, startTestRuntime, waitForIdle } from '../support/runtime';
import { removeDataDir, type RuntimeProcess, tempDataDir } from '../../tools/lib/runtime';

jest.setTimeout(170_000);

const LOCATIONS = 10;
const ITEMS = 12;
const DETECTIONS = 6_000;
const CHUNK = 150;
const POSTERS = 3;
const BASE_MS = Date.UTC(2026, 10, 22, 8, 0);

interface Wire {
  geographical_location_oid: string;
  video_camera_oid: string;
  detection_oid: string;
  item_name: string;
  timestamp_detected: number;
}

interface Row {
  geographical_location_oid: string;
  item_name: string;
  item_count: number;
}

/** A deterministic stream: each detection once, plus identical copies of some of them in later chunks, plus invalid rows. */
function buildChunks(): unknown[][] {
  const detections: Wire[] = Array.from({ length: DETECTIONS }, (_, index) => ({
    geographical_location_oid: String(1 + (index % LOCATIONS)),
    video_camera_oid: String(100 + ((index * 7) % 40)),
    // Ids above 2^53, neighbours a double could not tell apart.
    detection_oid: (9007199254740992n + BigInt(index)).toString(),
    item_name: `item-${(index * 31) % ITEMS}`,
    timestamp_detected: BASE_MS + index * 1_000,
  }));
  const stream: unknown[] = [];
  detections.forEach((detection, index) => {
    stream.push(detection);
    if (index % 10 === 9) stream.push({ ...detections[index - 7]! });
    if (index % 500 === 250) stream.push({ ...detection, item_name: '' });
  });
  const chunks: unknown[][] = [];
  for (let start = 0; start < stream.length; start += CHUNK) chunks.push(stream.slice(start, start + CHUNK));
  return chunks;
}

function isValid(row: unknown): row is Wire {
  return typeof row === 'object' && row !== null && (row as Wire).item_name !== '';
}

/** Counts per location and item of the distinct valid detections in the given chunks. */
function expectedCounts(chunks: readonly unknown[][]): Map<string, number> {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  for (const row of chunks.flat()) {
    if (!isValid(row) || seen.has(row.detection_oid)) continue;
    seen.add(row.detection_oid);
    const key = `${row.geographical_location_oid}|${row.item_name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

async function servedCounts(url: string): Promise<Map<string, number>> {
  const rows = await getJson<Row[]>(`${url}/api/top-items?window=all&top=1000`);
  return new Map(rows.map((row) => [`${row.geographical_location_oid}|${row.item_name}`, row.item_count]));
}

const sorted = (counts: Map<string, number>): [string, number][] => [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Posts the given chunks in order with a few concurrent posters; once `killAfterAcks` of them got a
 * 202, kills the runtime with SIGKILL while the others are still in flight.
 */
async function postUntilKilled(
  runtime: RuntimeProcess,
  chunks: unknown[][],
  indexes: readonly number[],
  killAfterAcks: number,
): Promise<{ acked: number[]; attempted: number[] }> {
  const acked: number[] = [];
  const attempted: number[] = [];
  let next = 0;
  let killed: Promise<unknown> | undefined;
  const poster = async (): Promise<void> => {
    while (next < indexes.length && !killed) {
      const index = indexes[next++]!;
      attempted.push(index);
      try {
        const response = await postEvents(runtime.url, chunks[index]);
        if (response.status === 202) acked.push(index);
      } catch {
        return; // The runtime is gone: this chunk got no answer.
      }
      if (acked.length >= killAfterAcks) killed ??= runtime.kill9();
    }
  };
  await Promise.all(Array.from({ length: POSTERS }, poster));
  await (killed ?? runtime.kill9());
  return { acked, attempted };
}

let dataDir: string;
let runtime: RuntimeProcess | undefined;

beforeAll(() => {
  dataDir = tempDataDir('crash-');
});

afterAll(async () => {
  await runtime?.kill9();
  removeDataDir(dataDir);
});

it('loses nothing that got a 202 and counts nothing twice across kill -9 and restarts', async () => {
  const chunks = buildChunks();
  // Small ingest batches: many transactions are under way when the kill lands.
  const env = { INGEST_BATCH_SIZE: '40', PARTITIONS: '4' };

  const acked = new Set<number>();
  const attempted = new Set<number>();
  const third = Math.floor(chunks.length / 3);
  // Killed mid-stream twice: once on a fresh start, once on a restart that also has old work to do.
  for (let round = 0; round < 2; round += 1) {
    runtime = await startTestRuntime({ dataDir, env });
    const untried = chunks.map((_, index) => index).filter((index) => !attempted.has(index));
    const result = await postUntilKilled(runtime, chunks, untried, third);
    expect(result.acked.length).toBeGreaterThanOrEqual(third);
    for (const index of result.acked) acked.add(index);
    for (const index of result.attempted) attempted.add(index);
  }

  runtime = await startTestRuntime({ dataDir, env });
  await waitForIdle(runtime.url, () => true, 60_000);

  // Every acknowledged detection is counted, once; an unacknowledged one may or may not be (it may
  // have reached the log before the kill), but never twice.
  const ackedCounts = expectedCounts([...acked].map((index) => chunks[index]!));
  const possibleCounts = expectedCounts([...attempted].map((index) => chunks[index]!));
  const afterCrash = await servedCounts(runtime.url);
  const lost = [...ackedCounts].filter(([key, count]) => (afterCrash.get(key) ?? 0) < count);
  const overCounted = [...afterCrash].filter(([key, count]) => count > (possibleCounts.get(key) ?? 0));
  expect({ lost, overCounted }).toEqual({ lost: [], overCounted: [] });

  // The client retries what got no 202, then sends the rest of the stream.
  for (let index = 0; index < chunks.length; index += 1) {
    if (acked.has(index)) continue;
    const response = await postEvents(runtime.url, chunks[index]);
    expect(response.status).toBe(202);
  }

  const everything = expectedCounts(chunks);
  const distinct = [...everything.values()].reduce((sum, count) => sum + count, 0);
  expect(distinct).toBe(DETECTIONS);
  const health: Health = await waitForIdle(runtime.url, (current) => current.counters.stored >= distinct, 60_000);
  expect(health.counters.stored).toBe(distinct);
  expect(sorted(await servedCounts(runtime.url))).toEqual(sorted(everything));

  // The hourly windows add up to the same totals.
  const hours = new Set(
    chunks
      .flat()
      .filter(isValid)
      .map((row) => new Date(row.timestamp_detected).toISOString().slice(0, 13)),
  );
  let hourlyTotal = 0;
  for (const hour of hours) {
    const rows = await getJson<Row[]>(`${runtime.url}/api/top-items?window=hour:${hour}&top=1000`);
    hourlyTotal += rows.reduce((sum, row) => sum + row.item_count, 0);
  }
  expect(hourlyTotal).toBe(distinct);
});
