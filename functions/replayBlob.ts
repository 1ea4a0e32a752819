import * as df from 'durable-functions';
import { ingestBatch } from '../shared/pipeline/ingest';
import { type BlobReplayResult, replayBlobWithRetries, type ReplayDeps } from '../shared/pipeline/replay';
import type { Services } from '../shared/services';
import { getServices } from './services';

/** Transient faults (throttling, a network blip) are retried inside the activity; see replayBlobWithRetries. */
export const REPLAY_BLOB_RETRY = { attempts: 4, delayMs: 2_000 } as const;

/**
 * Activity: decode one Capture blob and re-run ingest on its events. Never fails for a bad blob:
 * the result says `failed` with the reason, so the orchestration reports it and goes on.
 */
export async function replayBlob(input: unknown): Promise<BlobReplayResult> {
  const blob = (input as { blob?: unknown } | null)?.blob;
  if (typeof blob !== 'string' || blob === '') throw new Error('replayBlob: the input must be { "blob": "<name>" }');
  return replayBlobWithRetries(blob, replayDepsOf(await getServices()), REPLAY_BLOB_RETRY);
}

export function replayDepsOf(services: Services): ReplayDeps {
  const { captures } = services;
  if (!captures) throw new Error('replay: this host has no capture archive');
  return {
    captures,
    ingest: (messages) => ingestBatch(messages, { ...services, dedupPartitions: services.config.dedupPartitions }),
    clock: services.clock,
    dedupTtlSeconds: services.config.dedupTtlSeconds,
  };
}

df.app.activity('replayBlob', { handler: replayBlob });
