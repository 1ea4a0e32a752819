/**
 * Pacing of the change-feed triggers in Azure. The change feed processor reads a lease again as soon
 * as an invocation returns while its feed has changes, and waits `feedPollDelay` only after an empty
 * read; so under steady load a lease would run many small batches, and every batch costs writes
 * (a tally per dedup partition, a commit per counter) whatever its size. Holding a small batch until
 * its cycle has passed makes each batch carry one cycle of changes. A full batch means a backlog and
 * is not held, so catching up runs at full speed. The capacity model reads these figures.
 */

/** Seconds between two batches of one lease that keeps up: tally (dedup feed), aggregate (tallies feed). */
export const FEED_CYCLE_SECONDS = { tally: 1, aggregate: 2 } as const;
/** maxItemsPerInvocation of both triggers: a batch this full is a backlog, never held. */
export const FEED_BATCH_MAX = 1000;

type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wraps a change-feed handler so that an invocation with fewer than `batchMax` documents returns no
 * earlier than `cycleSeconds` after it started. The handler's result and errors pass through unchanged,
 * and a failed batch is not held (the host retries it).
 */
export function pacedFeedHandler<C, R>(
  handler: (documents: unknown[], context: C) => Promise<R>,
  pace: { readonly cycleSeconds: number; readonly batchMax: number },
  clock: { now(): number } = Date,
  wait: Sleep = sleep,
): (documents: unknown[], context: C) => Promise<R> {
  return async (documents, context) => {
    const startedMs = clock.now();
    const result = await handler(documents, context);
    const restMs = pace.cycleSeconds * 1000 - (clock.now() - startedMs);
    if (documents.length < pace.batchMax && restMs > 0) await wait(restMs);
    return result;
  };
}
