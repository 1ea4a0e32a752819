import { app, type FunctionHandler, type GenericFunctionOptions } from '@azure/functions';
import * as df from 'durable-functions';
import type { BlobReplayResult, ReplayProgress, ReplayReport } from '../../shared/pipeline/replay';

/**
 * The replay orchestration driven the way the Durable Functions extension drives it: each step
 * hands the orchestrator the whole history so far (ExecutionStarted, TaskScheduled, TaskCompleted,
 * ... between OrchestratorStarted/Completed markers), it replays to the end of that history and
 * answers with the actions it wants scheduled next, or with its output. The handler under test is
 * the one `df.app.orchestration` registers, so durable-functions' own replay machinery runs.
 */

// Capture what durable-functions registers instead of handing it to a Functions host.
const registered = new Map<string, GenericFunctionOptions>();
jest.spyOn(app, 'generic').mockImplementation((name: string, options: GenericFunctionOptions) => {
  registered.set(name, options);
});

let orchestrator: FunctionHandler;

beforeAll(async () => {
  await import('../../functions/replayOrchestrator.js');
  const options = registered.get('replayOrchestrator');
  expect(options?.trigger.type).toBe('orchestrationTrigger');
  orchestrator = options!.handler;
});

// History event types (DurableTask.Core's EventType).
const ExecutionStarted = 0;
const TaskScheduled = 4;
const TaskCompleted = 5;
const TaskFailed = 6;
const OrchestratorStarted = 12;
const OrchestratorCompleted = 13;

interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: Date;
  [field: string]: unknown;
}

/** Builds a history episode by episode, as the extension appends to it. */
class History {
  readonly events: HistoryEvent[] = [];
  private clock = Date.UTC(2026, 10, 22, 10, 30);
  private nextTaskId = 0;

  private push(type: number, fields: Record<string, unknown> = {}, eventId = -1): void {
    this.events.push({ EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(this.clock), ...fields });
  }

  start(input: unknown): this {
    this.push(OrchestratorStarted);
    this.push(ExecutionStarted, { Name: 'replayOrchestrator', Input: JSON.stringify(input) });
    return this;
  }

  /** Ends the current episode with the activities the orchestrator scheduled in it; returns their task ids. */
  scheduled(calls: readonly { name: string; input: unknown }[]): number[] {
    const ids = calls.map((call) => {
      const id = this.nextTaskId++;
      this.push(TaskScheduled, { Name: call.name, Input: JSON.stringify(call.input) }, id);
      return id;
    });
    this.push(OrchestratorCompleted);
    return ids;
  }

  /** How many activities have been scheduled so far: the answer's calls past these are new. */
  scheduledCount(): number {
    return this.nextTaskId;
  }

  /** Starts the next episode (the extension woke the orchestrator because tasks finished). */
  wake(): this {
    this.clock += 1000;
    for (const event of this.events) event.IsPlayed = true;
    this.push(OrchestratorStarted);
    return this;
  }

  completed(taskId: number, result: unknown): this {
    this.push(TaskCompleted, { TaskScheduledId: taskId, Result: JSON.stringify(result) });
    return this;
  }

  failed(taskId: number, reason: string): this {
    this.push(TaskFailed, { TaskScheduledId: taskId, Reason: reason, Details: 'Error: ' + reason });
    return this;
  }
}

interface OrchestratorAnswer {
  isDone: boolean;
  actions: unknown[][];
  output?: unknown;
  customStatus?: unknown;
  error?: string;
}

async function run(history: History, input: unknown): Promise<OrchestratorAnswer> {
  const trigger = {
    history: history.events,
    input,
    instanceId: 'replay-1',
    isReplaying: false,
    parentInstanceId: undefined,
    upperSchemaVersion: 3,
  };
  return (await orchestrator(
    trigger,
    new df.DummyOrchestrationContext('replayOrchestrator', 'invocation-1', () => undefined),
  )) as OrchestratorAnswer;
}

/** The activity calls in an answer, with WhenAll groups opened up: [name, input]. */
function activityCalls(answer: OrchestratorAnswer): { name: string; input: unknown }[] {
  const calls: { name: string; input: unknown }[] = [];
  const visit = (action: unknown): void => {
    const { actionType, functionName, input, compoundActions } = action as {
      actionType: number;
      functionName?: string;
      input?: unknown;
      compoundActions?: unknown[];
    };
    if (compoundActions) compoundActions.forEach(visit);
    else if (actionType === 0 && functionName) calls.push({ name: functionName, input });
    else throw new Error(`unexpected action ${JSON.stringify(action)}`);
  };
  answer.actions.flat().forEach(visit);
  return calls;
}

const request = { from: '2026-11-22T10:00:00.000Z', to: '2026-11-22T11:00:00.000Z' };
// Ten partitions, a blob each: every blob is a lane of its own, so the fan-out alone limits a round.
const blobs = Array.from({ length: 10 }, (_, index) => `ns/detections/${index}/2026/11/22/10/${String(index).padStart(2, '0')}/00.avro`);
const replayed = (blob: string, replayedCount: number, duplicates = 0): BlobReplayResult => ({
  blob,
  status: 'replayed',
  events: replayedCount + duplicates,
  replayed: replayedCount,
  duplicates,
  invalid: 0,
  conflicts: 0,
  unknownLocation: 0,
});
const corrupt: BlobReplayResult = {
  ...replayed(blobs[2]!, 0),
  status: 'failed',
  events: 0,
  reason: 'corrupt capture file: invalid sync marker',
};

describe('replayOrchestrator, replayed step by step from its history', () => {
  it('lists the blobs, fans out 8 at a time, settles a failed activity, and reports per-blob counts', async () => {
    const history = new History().start(request);

    // Episode 1: the only thing to do is to list the blobs.
    const first = await run(history, request);
    expect(first.isDone).toBe(false);
    expect(activityCalls(first)).toEqual([{ name: 'replayListBlobs', input: request }]);

    // Episode 2: the list came back; the first slice of 8 blobs is scheduled, no more.
    const [listId] = history.scheduled(activityCalls(first));
    history.wake().completed(listId!, blobs);
    const second = await run(history, request);
    const secondCalls = activityCalls(second);
    expect(secondCalls.slice(1)).toEqual(blobs.slice(0, 8).map((blob) => ({ name: 'replayBlob', input: { blob } })));
    expect(second.customStatus).toEqual({
      blobsTotal: 10,
      blobsDone: 0,
      totals: { blobs: 0, events: 0, replayed: 0, duplicates: 0, invalid: 0, failed: 0 },
      eventsPerSecond: 0,
    });

    // Episode 3: the slice finishes; one activity crashed outright (not a reported blob failure).
    const sliceIds = history.scheduled(secondCalls.slice(1));
    history.wake();
    sliceIds.forEach((id, index) => {
      if (index === 5) history.failed(id, 'worker lost');
      else history.completed(id, index === 2 ? corrupt : replayed(blobs[index]!, 10 + index));
    });
    const third = await run(history, request);
    const thirdCalls = activityCalls(third);
    // Nothing of the first slice is scheduled again; the second slice holds the last two blobs.
    expect(thirdCalls.slice(9)).toEqual(blobs.slice(8).map((blob) => ({ name: 'replayBlob', input: { blob } })));
    expect(thirdCalls).toHaveLength(11);
    const progress = third.customStatus as ReplayProgress;
    expect(progress.blobsDone).toBe(8);
    expect(progress.totals.failed).toBe(2);

    // Episode 4: the last two blobs are done (one had only duplicates: a replay run twice).
    const lastIds = history.scheduled(thirdCalls.slice(9));
    history
      .wake()
      .completed(lastIds[0]!, replayed(blobs[8]!, 18))
      .completed(lastIds[1]!, replayed(blobs[9]!, 0, 19));
    const last = await run(history, request);

    expect(last.isDone).toBe(true);
    const report = last.output as ReplayReport;
    expect(report.from).toBe(request.from);
    expect(report.blobs.map((result) => result.blob)).toEqual(blobs);
    expect(report.blobs[2]).toEqual(corrupt);
    expect(report.blobs[5]).toMatchObject({ blob: blobs[5], status: 'failed', replayed: 0 });
    expect(report.blobs[5]?.reason).toContain('worker lost');
    expect(report.totals).toEqual({
      blobs: 10,
      events: [0, 1, 3, 4, 6, 7, 8].reduce((sum, index) => sum + 10 + index, 0) + 19,
      replayed: [0, 1, 3, 4, 6, 7, 8].reduce((sum, index) => sum + 10 + index, 0),
      duplicates: 19,
      invalid: 0,
      failed: 2,
    });
    expect(last.customStatus).toMatchObject({ blobsTotal: 10, blobsDone: 10 });
  });

  it('replays a large blob as a chain of ranges, each resuming where the last stopped, with events per second', async () => {
    const big = blobs[0]!;
    const small = blobs[1]!;
    const history = new History().start(request);
    const [listId] = history.scheduled(activityCalls(await run(history, request)));
    history.wake().completed(listId!, [big, small]);
    const first = await run(history, request);
    expect(activityCalls(first).slice(1)).toEqual([
      { name: 'replayBlob', input: { blob: big } },
      { name: 'replayBlob', input: { blob: small } },
    ]);

    // The big blob's first range stops at a position; the small blob is done in one range.
    const position = { offset: 81_920, skip: 400 };
    const [bigId, smallId] = history.scheduled(activityCalls(first).slice(1));
    history
      .wake()
      .completed(bigId!, { ...replayed(big, 50_000), next: position })
      .completed(smallId!, { ...replayed(small, 7), next: null });
    const second = await run(history, request);
    const secondCalls = activityCalls(second);
    // Only the rest of the big blob is scheduled, from the position its first range returned.
    expect(secondCalls.slice(3)).toEqual([{ name: 'replayBlob', input: { blob: big, position } }]);
    // One (history) second since the list came back, and 50,007 events read.
    expect(second.customStatus).toEqual({
      blobsTotal: 2,
      blobsDone: 1,
      totals: { blobs: 1, events: 50_007, replayed: 50_007, duplicates: 0, invalid: 0, failed: 0 },
      eventsPerSecond: 50_007,
    });

    // Replayed again from its history, the orchestration makes the very same decisions.
    const [restId] = history.scheduled(secondCalls.slice(3));
    history.wake().completed(restId!, { ...replayed(big, 1_000, 3), next: null });
    const last = await run(history, request);
    expect(last.isDone).toBe(true);
    const report = last.output as ReplayReport;
    expect(report.blobs).toEqual([replayed(big, 51_000, 3), replayed(small, 7)]);
    expect(report.totals).toMatchObject({ blobs: 2, events: 51_010, replayed: 51_007, duplicates: 3, failed: 0 });
    expect(last.customStatus).toMatchObject({ blobsDone: 2, eventsPerSecond: 25_505 });
  });

  it('stops a blob at the range that failed and reports it with the counts of the ranges before', async () => {
    const big = blobs[0]!;
    const history = new History().start(request);
    const [listId] = history.scheduled(activityCalls(await run(history, request)));
    history.wake().completed(listId!, [big]);
    const [firstId] = history.scheduled(activityCalls(await run(history, request)).slice(1));
    history.wake().completed(firstId!, { ...replayed(big, 100), next: { offset: 4_000, skip: 0 } });
    const second = await run(history, request);
    const [secondId] = history.scheduled(activityCalls(second).slice(2));
    history.wake().failed(secondId!, 'worker lost');
    const last = await run(history, request);
    expect(last.isDone).toBe(true);
    const [result] = (last.output as ReplayReport).blobs;
    expect(result).toMatchObject({ blob: big, status: 'failed', events: 100, replayed: 100 });
    expect(result?.reason).toContain('worker lost');
  });

  it('replays the blobs of one partition one after another, in time order, partitions side by side', async () => {
    // Listed out of time order: partition 1 has three blobs, partition 2 one.
    const listed = [
      'ns/detections/1/2026/11/22/10/20/00.avro',
      'ns/detections/2/2026/11/22/10/05/00.avro',
      'ns/detections/1/2026/11/22/10/00/00.avro',
      'ns/detections/1/2026/11/22/10/10/00.avro',
    ];
    const history = new History().start(request);
    const [listId] = history.scheduled(activityCalls(await run(history, request)));
    history.wake().completed(listId!, listed);
    const scheduledNext = async (): Promise<{ name: string; input: unknown }[]> => {
      const answer = await run(history, request);
      const calls = activityCalls(answer).slice(history.scheduledCount());
      history.wake();
      for (const [index, id] of history.scheduled(calls).entries()) {
        history.completed(id, replayed((calls[index]!.input as { blob: string }).blob, 1));
      }
      return calls;
    };
    const blobOf = (calls: { input: unknown }[]) => calls.map((call) => (call.input as { blob: string }).blob);
    expect(blobOf(await scheduledNext())).toEqual([listed[2], listed[1]]);
    expect(blobOf(await scheduledNext())).toEqual([listed[3]]);
    expect(blobOf(await scheduledNext())).toEqual([listed[0]]);
    const last = await run(history, request);
    expect(last.isDone).toBe(true);
    expect((last.output as ReplayReport).totals).toMatchObject({ blobs: 4, replayed: 4 });
  });

  it('completes at once with empty totals when the range holds no blobs', async () => {
    const history = new History().start(request);
    const [listId] = history.scheduled(activityCalls(await run(history, request)));
    history.wake().completed(listId!, []);
    const answer = await run(history, request);
    expect(answer.isDone).toBe(true);
    expect(activityCalls(answer)).toEqual([{ name: 'replayListBlobs', input: request }]);
    expect((answer.output as ReplayReport).totals).toEqual({ blobs: 0, events: 0, replayed: 0, duplicates: 0, invalid: 0, failed: 0 });
  });

  it('fails the orchestration when the blobs cannot even be listed', async () => {
    const history = new History().start(request);
    const [listId] = history.scheduled(activityCalls(await run(history, request)));
    history.wake().failed(listId!, 'storage unreachable');
    await expect(run(history, request)).rejects.toThrow(/storage unreachable/);
  });
});
