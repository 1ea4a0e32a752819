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
  replayProgress,
  summarizeReplay,
} from '../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../shared/pipeline/replayLimits';

/**
 * Replays the Capture blobs of [from, to): lists them, then runs `replayBlob` activities over them,
 * REPLAY_LIMITS.parallelism at a time. An activity replays one range of a blob (a few minutes of
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
  let listed = 0;
  let round: ReplayRangeInput[] = [];
  const publish = () =>
    context.df.setCustomStatus(
      replayProgress(blobs.length, blobsDone, [...results.values()], context.df.currentUtcDateTime.getTime() - startedMs),
    );
  publish();

  while (round.length > 0 || listed < blobs.length) {
    while (round.length < REPLAY_LIMITS.parallelism && listed < blobs.length) round.push({ blob: blobs[listed++] as string });
    const outcomes = yield* runRound(context, round);
    const next: ReplayRangeInput[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const { blob } = round[index] as ReplayRangeInput;
      results.set(blob, mergeBlobResults(results.get(blob), outcome));
      if (outcome.status === 'replayed' && outcome.next) next.push({ blob, position: outcome.next });
      else blobsDone += 1;
    }
    round = next;
    if (!context.df.isReplaying) context.log(`replay: ${blobsDone}/${blobs.length} blobs`);
    publish();
  }

  const done = blobs.map((blob) => results.get(blob) as BlobReplayResult);
  const report: ReplayReport = { from: request.from, to: request.to, totals: summarizeReplay(done), blobs: done };
  return report;
};

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
