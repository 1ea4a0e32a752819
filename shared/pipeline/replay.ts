import {
  type CaptureArchive,
  type CaptureEvent,
  CaptureFormatError,
  openCaptureBlocks,
  parseCaptureBlobName,
  parseEnqueuedTime,
} from '../capture';
import type { Clock } from '../ports';
import type { IngestMessage, IngestSummary } from './ingest';
import { REPLAY_LIMITS } from './replayLimits';

/**
 * Replay: re-run the ingest use-case on the raw events that Event Hubs Capture archived, to recover
 * processing that was lost. Dedup makes it safe as long as the dedup store still remembers every
 * detection the replay can meet; the horizon check below refuses ranges where it may not.
 */

export interface ReplayRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ReplayRequest {
  readonly from: string;
  readonly to: string;
}

export type ParsedReplayRequest = { ok: true; range: ReplayRange } | { ok: false; reason: string };

/** Validates `{ from, to }` (ISO 8601; a time without a zone is UTC) with from < to. */
export function parseReplayRequest(input: unknown): ParsedReplayRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, reason: 'the body must be a JSON object { "from": "<ISO time>", "to": "<ISO time>" }' };
  }
  const { from, to } = input as Record<string, unknown>;
  const fromMs = parseIsoTime(from);
  if (fromMs === null)
    return { ok: false, reason: `from: must be an ISO 8601 time such as 2026-11-22T10:00:00Z, got ${JSON.stringify(from) ?? 'nothing'}` };
  const toMs = parseIsoTime(to);
  if (toMs === null)
    return { ok: false, reason: `to: must be an ISO 8601 time such as 2026-11-22T11:00:00Z, got ${JSON.stringify(to) ?? 'nothing'}` };
  if (!(toMs > fromMs)) return { ok: false, reason: 'to: must be later than from (the range is [from, to))' };
  return { ok: true, range: { fromMs, toMs } };
}

function parseIsoTime(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/i.test(value))
    return null;
  // Date.parse rolls 2026-02-30 over to March; a day that does not exist is an error.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const zoned = value.length === 10 ? `${value}T00:00:00Z` : /(?:Z|[+-]\d{2}:\d{2})$/i.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

export interface HorizonSettings {
  readonly dedupTtlSeconds: number;
  readonly replayGuardMinutes: number;
}

export type HorizonCheck =
  | { readonly ok: true; readonly earliestFrom: string }
  | { readonly ok: false; readonly reason: string; readonly earliestFrom: string; readonly horizon: string };

/**
 * A detection is remembered for DEDUP_TTL_SECONDS after it was FIRST stored. An event captured at
 * time t may be an upstream retry whose first copy was stored a little before t, and the replay
 * reaches it only some time after it starts; REPLAY_GUARD_MINUTES covers both. So the replay is
 * allowed only when from >= now - TTL + guard: every copy it meets is then still remembered.
 */
export function checkReplayHorizon(range: ReplayRange, settings: HorizonSettings, nowMs: number): HorizonCheck {
  const horizonMs = nowMs - settings.dedupTtlSeconds * 1000;
  const earliestFromMs = horizonMs + settings.replayGuardMinutes * 60_000;
  const earliestFrom = new Date(earliestFromMs).toISOString();
  if (range.fromMs >= earliestFromMs) return { ok: true, earliestFrom };
  const horizon = new Date(horizonMs).toISOString();
  return {
    ok: false,
    earliestFrom,
    horizon,
    reason:
      `replay refused: from ${new Date(range.fromMs).toISOString()} is past the dedup horizon. ` +
      `The dedup store forgets a detection ${formatSeconds(settings.dedupTtlSeconds)} after it was first stored, so it now remembers back to ${horizon}; ` +
      `with the ${settings.replayGuardMinutes}-minute guard (upstream retries, replay duration) a replay may start no earlier than ${earliestFrom}. ` +
      `Events older than that would be counted a second time. Replay from ${earliestFrom} or later, ` +
      `or recover older data by rebuilding from capture into an empty store (docs/recovery.md).`,
  };
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export interface BlobReplayResult {
  readonly blob: string;
  readonly status: 'replayed' | 'failed';
  /** Capture records read (the whole blob once it has been replayed). */
  readonly events: number;
  /** Detections stored for the first time by this replay. */
  readonly replayed: number;
  readonly duplicates: number;
  readonly invalid: number;
  readonly conflicts: number;
  readonly unknownLocation: number;
  /** Why the blob failed; absent when it was replayed. */
  readonly reason?: string;
}

/** Where the replay of a blob resumes: a block's byte offset, and the records of that block already done. */
export interface ReplayPosition {
  readonly offset: number;
  readonly skip: number;
}

/** The input of one range (one `replayBlob` activity): a blob, and where in it to resume (its start when absent). */
export interface ReplayRangeInput {
  readonly blob: string;
  readonly position?: ReplayPosition;
}

/** The outcome of one range of a blob: its counts, and where the next range starts (null: the blob is done). */
export interface RangeReplayResult extends BlobReplayResult {
  readonly next: ReplayPosition | null;
}

export interface ReplayTotals {
  readonly blobs: number;
  readonly events: number;
  readonly replayed: number;
  readonly duplicates: number;
  readonly invalid: number;
  /** Blobs that failed (corrupt, missing, past the horizon, or a fault that outlasted the retries). */
  readonly failed: number;
}

export interface ReplayDeps {
  readonly captures: CaptureArchive;
  /** The ingest use-case as the host runs it (locally: inside the runtime's serialized write path). */
  readonly ingest: (messages: IngestMessage[]) => Promise<IngestSummary>;
  readonly clock: Clock;
  readonly dedupTtlSeconds: number;
  /** Capture records per ingest call (REPLAY_LIMITS.sliceEvents by default). */
  readonly sliceEvents?: number;
  /** Called after each ingested slice with the range's counts so far (live progress). */
  readonly onSlice?: (progress: BlobReplayResult) => void;
}

/** When a range stops: after this many events or this long, or when `stop` says so; checked after each slice. */
export interface RangeBudget {
  readonly events: number;
  readonly ms: number;
  readonly stop?: () => boolean;
}

const UNBOUNDED: RangeBudget = { events: Infinity, ms: Infinity };

type Counts = { -readonly [K in 'events' | 'replayed' | 'duplicates' | 'invalid' | 'conflicts' | 'unknownLocation']: number };

export function failedBlob(blob: string, reason: string, events = 0): BlobReplayResult {
  return { blob, status: 'failed', events, replayed: 0, duplicates: 0, invalid: 0, conflicts: 0, unknownLocation: 0, reason };
}

const zeroCounts = (): Counts => ({ events: 0, replayed: 0, duplicates: 0, invalid: 0, conflicts: 0, unknownLocation: 0 });

/**
 * Replays one range of a Capture blob: reads it as a stream from `position` (its first block when
 * omitted), decodes each block as it arrives and ingests its events in slices, until the blob ends or
 * the budget is spent. Memory holds one block and one slice, whatever the blob's size. A blob that
 * cannot be used (missing, corrupt, holding events the dedup store has already forgotten) comes back
 * as `failed` with its reason (the slices before the fault stay ingested); infrastructure faults
 * throw, for the caller to retry the range, which dedup makes harmless.
 */
export async function replayRange(
  blob: string,
  position: ReplayPosition | undefined,
  deps: ReplayDeps,
  budget: RangeBudget = UNBOUNDED,
): Promise<RangeReplayResult> {
  const counts = zeroCounts();
  const done = (next: ReplayPosition | null): RangeReplayResult => ({ blob, status: 'replayed', ...counts, next });
  const failed = (reason: string): RangeReplayResult => ({ blob, status: 'failed', ...counts, reason, next: null });
  const startedMs = deps.clock.now();
  const spent = () => counts.events >= budget.events || deps.clock.now() - startedMs >= budget.ms || budget.stop?.() === true;
  const slices = sliceSource(blob, deps, position);
  try {
    for await (const slice of slices) {
      if (slice === null) return failed('blob not found');
      if (slice.stale) {
        counts.events += slice.events;
        return failed(slice.stale);
      }
      add(counts, await deps.ingest(slice.messages), slice.messages.length);
      deps.onSlice?.({ blob, status: 'replayed', ...counts });
      if (spent()) return done(await nextPosition(slices, slice.after));
    }
    return done(null);
  } catch (error) {
    if (error instanceof CaptureFormatError) return failed(`corrupt capture file: ${error.message}`);
    throw error;
  }
}

interface Slice {
  readonly messages: IngestMessage[];
  /** Where the records after this slice start. */
  readonly after: ReplayPosition;
  /** Set when the slice holds events the dedup store has forgotten: why it must not be ingested. */
  readonly stale?: string;
  /** Records in the slice. */
  readonly events: number;
}

/**
 * The blob's records from `position` on, in ingest slices of `sliceEvents` (the last one shorter),
 * each with the position just after it; null when the blob does not exist. A slice may span blocks:
 * Capture's blocks are small, and fewer, fuller ingest calls are cheaper.
 */
async function* sliceSource(blob: string, deps: ReplayDeps, position: ReplayPosition | undefined): AsyncGenerator<Slice | null> {
  const blocks = await openCaptureBlocks((offset) => deps.captures.stream(blob, offset), position?.offset);
  if (!blocks) {
    yield null;
    return;
  }
  const size = deps.sliceEvents ?? REPLAY_LIMITS.sliceEvents;
  let skip = position?.skip ?? 0;
  let batch: CaptureEvent[] = [];
  let end = position?.offset ?? 0;
  for await (const block of blocks) {
    for (let index = skip; index < block.events.length; index += 1) {
      batch.push(block.events[index] as CaptureEvent);
      if (batch.length < size) continue;
      const last = index + 1 === block.events.length;
      yield sliceOf(blob, batch, last ? { offset: block.end, skip: 0 } : { offset: block.offset, skip: index + 1 }, deps);
      batch = [];
    }
    skip = 0;
    end = block.end;
  }
  if (batch.length > 0) yield sliceOf(blob, batch, { offset: end, skip: 0 }, deps);
}

function sliceOf(blob: string, events: readonly CaptureEvent[], after: ReplayPosition, deps: ReplayDeps): Slice {
  const stale = staleReason(blob, events, deps);
  if (stale) return { after, events: events.length, messages: [], stale };
  const messages = events.map((event) => ({ body: event.body, source: `capture/${blob}/${event.sequenceNumber}` }));
  return { after, events: events.length, messages };
}

/** Null when the blob has nothing after `after`, so no range is started for nothing. */
async function nextPosition(slices: AsyncGenerator<Slice | null>, after: ReplayPosition): Promise<ReplayPosition | null> {
  if (after.skip > 0) return after;
  const more = await slices.next();
  await slices.return(undefined);
  return more.done ? null : after;
}

function add(counts: Counts, summary: IngestSummary, events: number): void {
  counts.events += events;
  counts.replayed += summary.stored;
  counts.duplicates += summary.duplicates;
  counts.invalid += summary.invalid;
  counts.conflicts += summary.conflicts;
  counts.unknownLocation += summary.unknown_location;
}

/**
 * The check at the start used the range; this one uses the events themselves, when the replay is
 * about to ingest them, and catches a replay that ran longer than its guard.
 */
function staleReason(blob: string, events: readonly CaptureEvent[], deps: ReplayDeps): string | undefined {
  const oldestMs = oldestEnqueued(blob, events);
  const forgottenBeforeMs = deps.clock.now() - deps.dedupTtlSeconds * 1000;
  if (oldestMs === null || oldestMs >= forgottenBeforeMs) return undefined;
  return `past the dedup horizon: it holds events enqueued at ${new Date(oldestMs).toISOString()}, and the dedup store only remembers back to ${new Date(forgottenBeforeMs).toISOString()}`;
}

function oldestEnqueued(blob: string, events: readonly { enqueuedTimeUtc: string }[]): number | null {
  let oldest: number | null = null;
  for (const event of events) {
    const time = parseEnqueuedTime(event.enqueuedTimeUtc);
    if (time !== null && (oldest === null || time < oldest)) oldest = time;
  }
  return oldest ?? (events.length > 0 ? (parseCaptureBlobName(blob)?.timeMs ?? null) : null);
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * `replayRange` that never throws: an infrastructure fault is retried from the range's start with a
 * doubling delay, and reported as the blob's failure once the attempts are spent, so one bad blob
 * cannot stop the rest. Retrying is safe: the events already stored come back as duplicates.
 */
export async function replayRangeWithRetries(
  blob: string,
  position: ReplayPosition | undefined,
  deps: ReplayDeps,
  policy: RetryPolicy,
  budget: RangeBudget = UNBOUNDED,
): Promise<RangeReplayResult> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let delay = policy.delayMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await replayRange(blob, position, deps, budget);
    } catch (error) {
      if (attempt >= policy.attempts) {
        const reason = `failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${(error as Error).message ?? String(error)}`;
        return { ...failedBlob(blob, reason), next: null };
      }
      await sleep(delay);
      delay *= 2;
    }
  }
}

/** A whole blob in one go (no budget): the sum of its ranges. */
export async function replayBlob(blob: string, deps: ReplayDeps): Promise<BlobReplayResult> {
  return withoutNext(await replayRange(blob, undefined, deps));
}

function withoutNext(result: RangeReplayResult): BlobReplayResult {
  const { next: _next, ...rest } = result;
  return rest;
}

/** The counts of a blob so far plus those of its next range; the range's status and reason win. */
export function mergeBlobResults(sofar: BlobReplayResult | undefined, range: BlobReplayResult): BlobReplayResult {
  const merged = withoutNext({ ...range, next: null });
  if (!sofar) return merged;
  return {
    ...merged,
    events: sofar.events + range.events,
    replayed: sofar.replayed + range.replayed,
    duplicates: sofar.duplicates + range.duplicates,
    invalid: sofar.invalid + range.invalid,
    conflicts: sofar.conflicts + range.conflicts,
    unknownLocation: sofar.unknownLocation + range.unknownLocation,
  };
}

export function summarizeReplay(results: readonly BlobReplayResult[]): ReplayTotals {
  const totals = { blobs: results.length, events: 0, replayed: 0, duplicates: 0, invalid: 0, failed: 0 };
  for (const result of results) {
    totals.events += result.events;
    totals.replayed += result.replayed;
    totals.duplicates += result.duplicates;
    totals.invalid += result.invalid;
    if (result.status === 'failed') totals.failed += 1;
  }
  return totals;
}

/** Runs `work` over `items` with at most `parallelism` at once; results in input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  parallelism: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, items.length)) }, worker));
  return results;
}

/**
 * The blobs to replay, one lane per Event Hubs partition, each lane in time order. A lane is replayed
 * one blob after another, lanes side by side: a detection and a later copy of it (a retry, or a
 * conflicting copy) are stored in the order the partition received them, as the live pipeline stores
 * them, so the first copy stays the stored one. A name outside Capture's convention is a lane alone.
 */
export function replayLanes(blobs: readonly string[]): string[][] {
  const lanes = new Map<string, string[]>();
  for (const blob of blobs) {
    const parsed = parseCaptureBlobName(blob);
    const key = parsed ? `${parsed.namespace}/${parsed.eventHub}/${parsed.partitionId}` : `?${blob}`;
    const lane = lanes.get(key) ?? [];
    lane.push(blob);
    lanes.set(key, lane);
  }
  // Time parts are zero-padded, so within a lane names sort in time order.
  return [...lanes.values()].map((lane) => lane.sort());
}

/** What the Azure orchestration (and the local replay) hands back when done. */
export interface ReplayReport {
  readonly from: string;
  readonly to: string;
  readonly totals: ReplayTotals;
  /** Per blob, in the order of the archive listing (time, then partition). */
  readonly blobs: readonly BlobReplayResult[];
}

/** Progress as the orchestration's custom status and the local status route show it. */
export interface ReplayProgress {
  readonly blobsTotal: number;
  readonly blobsDone: number;
  /** The counts so far: of the blobs done and of those under way (`blobs` is blobsDone). */
  readonly totals: ReplayTotals;
  /** Capture records read per second since the replay started. */
  readonly eventsPerSecond: number;
}

/** Progress from the per-blob results so far (blobs under way included) and the time since the start. */
export function replayProgress(
  blobsTotal: number,
  blobsDone: number,
  results: readonly BlobReplayResult[],
  elapsedMs: number,
): ReplayProgress {
  const totals = { ...summarizeReplay(results), blobs: blobsDone };
  return { blobsTotal, blobsDone, totals, eventsPerSecond: elapsedMs > 0 ? Math.round((totals.events * 1000) / elapsedMs) : 0 };
}

export type ReplayStart = { ok: true; request: ReplayRequest } | { ok: false; status: 400 | 409; body: Record<string, string> };

/**
 * The checks both hosts run on POST /api/replay before starting anything: a JSON body with a valid
 * range (400 otherwise) that does not reach past the dedup horizon (409 otherwise).
 */
export function validateReplayStart(body: Uint8Array, settings: HorizonSettings, nowMs: number): ReplayStart {
  let input: unknown;
  try {
    input = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return { ok: false, status: 400, body: { error: 'the body is not JSON: expected { "from": "<ISO time>", "to": "<ISO time>" }' } };
  }
  const parsed = parseReplayRequest(input);
  if (!parsed.ok) return { ok: false, status: 400, body: { error: parsed.reason } };
  const horizon = checkReplayHorizon(parsed.range, settings, nowMs);
  if (!horizon.ok)
    return { ok: false, status: 409, body: { error: horizon.reason, horizon: horizon.horizon, earliestFrom: horizon.earliestFrom } };
  return { ok: true, request: { from: new Date(parsed.range.fromMs).toISOString(), to: new Date(parsed.range.toMs).toISOString() } };
}
