import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  type BlobReplayResult,
  failedBlob,
  mergeBlobResults,
  type RangeReplayResult,
  type ReplayRangeInput,
  type ReplayReport,
  type ReplayRequest,
  replayLanes,
  replayProgress,
  summarizeReplay,
} from '../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../shared/pipeline/replayLimits';

/**
 * Replays the Capture blobs of [from, to): lists them, then runs `replayBlob` activities over them,
 * REPLAY_LIMITS.parallelism at a time, one blob at a time per Event Hubs partition, in time order, so
 * that copies of a detection are stored in the order the partition received them. An activity replays one range of a blob (a few minutes of
 * work at most) and says where the next range starts; the blob stays in the round until it is done,
 * so a large blob is a chain of short activities. Progress (blobs done, events, events per second) is
 * the custom status. A blob that fails is reported in the output with its reason; the others go on.
 */
export const replayOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const request = context.df.getInput<ReplayRequest>();
  const blobs = (yield context.df.callActivity('replayListBlobs', request)) as string[];
  const startedMs = context.df.currentUtcDateTime.getTime();
  const results = new Map<string, BlobReplayResult>();
  let blobsDone = 0;
  const publish = () =>
    context.df.setCustomStatus(
      replayProgress(blobs.length, blobsDone, [...results.values()], context.df.currentUtcDateTime.getTime() - startedMs),
    );
  publish();

  const lanes = new ReplayLanes(blobs);
  let round: LaneRange[] = [];
  while (round.length > 0 || lanes.waiting()) {
    round = [...round, ...lanes.start(REPLAY_LIMITS.parallelism - round.length)];
    const outcomes = yield* runRound(
      context,
      round.map(({ input }) => input),
    );
    const next: LaneRange[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const { lane, input } = round[index] as LaneRange;
      results.set(input.blob, mergeBlobResults(results.get(input.blob), outcome));
      if (outcome.status === 'replayed' && outcome.next) next.push({ lane, input: { blob: input.blob, position: outcome.next } });
      else {
        blobsDone += 1;
        lanes.finish(lane);
      }
    }
    round = next;
    if (!context.df.isReplaying) context.log(`replay: ${blobsDone}/${blobs.length} blobs`);
    publish();
  }

  const done = blobs.map((blob) => results.get(blob) as BlobReplayResult);
  const report: ReplayReport = { from: request.from, to: request.to, totals: summarizeReplay(done), blobs: done };
  return report;
};

interface LaneRange {
  readonly lane: number;
  readonly input: ReplayRangeInput;
}

/** The blobs not started yet, by partition lane (see replayLanes), and which lanes have one under way. */
class ReplayLanes {
  private readonly lanes: string[][];
  private readonly busy = new Set<number>();

  constructor(blobs: readonly string[]) {
    this.lanes = replayLanes(blobs);
  }

  waiting(): boolean {
    return this.lanes.some((lane) => lane.length > 0);
  }

  /** The next blob of up to `count` idle lanes, in lane order. */
  start(count: number): LaneRange[] {
    const started: LaneRange[] = [];
    for (const [lane, queue] of this.lanes.entries()) {
      if (started.length >= count) break;
      if (this.busy.has(lane) || queue.length === 0) continue;
      this.busy.add(lane);
      started.push({ lane, input: { blob: queue.shift() as string } });
    }
    return started;
  }

  finish(lane: number): void {
    this.busy.delete(lane);
  }
}

/** One activity per range of the round, all at once; an activity that crashed counts as its blob's failure. */
function* runRound(context: OrchestrationContext, round: readonly ReplayRangeInput[]): Generator<Task, RangeReplayResult[], unknown> {
  const tasks = round.map((input) => context.df.callActivity('replayBlob', input));
  try {
    return ((yield context.df.Task.all(tasks)) as unknown[]).map(withNext);
  } catch {
    // Task.all gives up at the first failed activity; settle the round one task at a time (they
    // are all scheduled already, so this waits without scheduling anything again).
    const settled: RangeReplayResult[] = [];
    for (const [index, task] of tasks.entries()) settled.push(yield* settle(task, (round[index] as ReplayRangeInput).blob));
    return settled;
  }
}

function* settle(task: Task, blob: string): Generator<Task, RangeReplayResult, unknown> {
  const failed = (error: unknown): RangeReplayResult => ({ ...failedBlob(blob, `activity failed: ${describe(error)}`), next: null });
  if (task.isCompleted) return withNext(task.result);
  if (task.isFaulted) return failed(task.result);
  try {
    return withNext(yield task);
  } catch (error) {
    return failed(error);
  }
}

/** An activity result; one without `next` (a whole blob) is done. */
function withNext(result: unknown): RangeReplayResult {
  const range = result as RangeReplayResult;
  return { ...range, next: range.next ?? null };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

df.app.orchestration('replayOrchestrator', replayOrchestrator);
