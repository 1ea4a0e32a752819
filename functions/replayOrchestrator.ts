import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import {
  type BlobReplayResult,
  failedBlob,
  type ReplayReport,
  type ReplayRequest,
  replayProgress,
  summarizeReplay,
} from '../shared/pipeline/replay';

/** Blobs replayed at once: enough to keep ingest busy, few enough not to starve live traffic of RUs. */
export const REPLAY_PARALLELISM = 8;

/**
 * Replays the Capture blobs of [from, to): lists them, then runs `replayBlob` over them in slices
 * of REPLAY_PARALLELISM, publishing progress as the custom status. A blob that fails is reported in
 * the output with its reason; the others go on.
 */
export const replayOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const request = context.df.getInput<ReplayRequest>();
  const blobs = (yield context.df.callActivity('replayListBlobs', request)) as string[];
  const results: BlobReplayResult[] = [];
  context.df.setCustomStatus(replayProgress(blobs.length, results));

  for (let start = 0; start < blobs.length; start += REPLAY_PARALLELISM) {
    const slice = blobs.slice(start, start + REPLAY_PARALLELISM);
    const tasks = slice.map((blob) => context.df.callActivity('replayBlob', { blob }));
    try {
      results.push(...((yield context.df.Task.all(tasks)) as BlobReplayResult[]));
    } catch {
      // Task.all gives up at the first failed activity; settle the slice one task at a time (they
      // are all scheduled already, so this waits without scheduling anything again).
      for (const [index, task] of tasks.entries()) results.push(yield* settle(task, slice[index] as string));
    }
    if (!context.df.isReplaying) context.log(`replay: ${results.length}/${blobs.length} blobs`);
    context.df.setCustomStatus(replayProgress(blobs.length, results));
  }

  const report: ReplayReport = { from: request.from, to: request.to, totals: summarizeReplay(results), blobs: results };
  return report;
};

function* settle(task: Task, blob: string): Generator<Task, BlobReplayResult, unknown> {
  if (task.isCompleted) return task.result as BlobReplayResult;
  if (task.isFaulted) return failedBlob(blob, `activity failed: ${describe(task.result)}`);
  try {
    return (yield task) as BlobReplayResult;
  } catch (error) {
    return failedBlob(blob, `activity failed: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

df.app.orchestration('replayOrchestrator', replayOrchestrator);
