/**
 * The limits of a replay, the same on both hosts (the Durable Functions orchestration and the local
 * runtime's in-process replay).
 */
export const REPLAY_LIMITS = {
  /** Largest POST /api/replay body: `{ from, to }` needs a few dozen bytes. */
  requestBytes: 16 * 1024,
  /**
   * Blobs replayed at once (as host.json's maxConcurrentActivityFunctions): enough to keep ingest
   * busy, few enough not to starve live traffic of RUs.
   */
  parallelism: 8,
  /** Infrastructure faults (throttling, a network blip) are retried within a range, with a doubling delay. */
  retry: { attempts: 4, delayMs: 2_000 },
  /**
   * Capture records per ingest call: host.json's `maxEventBatchSize`, so a replayed slice costs what
   * one live batch costs and is never larger.
   */
  sliceEvents: 1_000,
  /**
   * One activity replays a range of a blob and stops at the first slice boundary after this many
   * events or this much time, whichever comes first, returning the position to resume from. At the
   * default dedup ceiling (1,000 RU/s, about 6 RU per new detection, 8 activities sharing it) a slice
   * takes up to a minute, so a range stays within about three minutes, far from functionTimeout.
   */
  rangeEvents: 50_000,
  rangeMs: 120_000,
} as const;
