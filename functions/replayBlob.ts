import * as df from 'durable-functions';
import { ingestBatch, ingestDepsOf } from '../shared/pipeline/ingest';
import {
  type RangeReplayResult,
  replayRangeWithRetries,
  type ReplayDeps,
  type ReplayPosition,
  type ReplayRangeInput,
} from '../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../shared/pipeline/replayLimits';
import type { Services } from '../shared/services';
import { getServices } from './services';

/**
 * Activity: replay one range of a Capture blob, from `position` (the blob's start when absent), read
 * as a stream, for at most REPLAY_LIMITS.rangeEvents events or rangeMs; the result says where the
 * next range starts. Never fails for a bad blob: the result says `failed` with the reason, so the
 * orchestration reports it and goes on.
 */
export async function replayBlob(input: unknown): Promise<RangeReplayResult> {
  const { blob, position } = parseInput(input);
  const budget = { events: REPLAY_LIMITS.rangeEvents, ms: REPLAY_LIMITS.rangeMs };
  return replayRangeWithRetries(blob, position, replayDepsOf(await getServices()), REPLAY_LIMITS.retry, budget);
}

function parseInput(input: unknown): ReplayRangeInput {
  const { blob, position } = (input ?? {}) as { blob?: unknown; position?: Partial<ReplayPosition> };
  if (typeof blob !== 'string' || blob === '') throw new Error('replayBlob: the input must be { "blob": "<name>", "position"?: {...} }');
  if (position === undefined) return { blob };
  const { offset, skip } = position;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(skip) || (offset as number) < 0 || (skip as number) < 0) {
    throw new Error('replayBlob: position must be { "offset": <byte offset>, "skip": <records> }');
  }
  return { blob, position: { offset: offset as number, skip: skip as number } };
}

export function replayDepsOf(services: Services): ReplayDeps {
  const { captures } = services;
  if (!captures) throw new Error('replay: this host has no capture archive');
  return {
    captures,
    ingest: (messages) => ingestBatch(messages, ingestDepsOf(services)),
    clock: services.clock,
    dedupTtlSeconds: services.config.dedupTtlSeconds,
  };
}

df.app.activity('replayBlob', { handler: replayBlob });
