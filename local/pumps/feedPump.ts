import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { describeError, invocationLogHandler, type Logger, throttledWarn } from '../log';
import type { LocalDatabase } from '../store';
import type { CheckpointStore } from '../store/checkpoints';
import { backoffMs, StopSignal, WakeSignal } from './signal';

export type FeedHandler = (documents: unknown[], context: InvocationContext) => Promise<void>;

/** An ordered log read like a Cosmos DB change feed: the dedup store's records, or the tallies. */
export interface FeedSource {
  /**
   * The highest committed sequence. Sequences may skip numbers (the dedup store's lsn skips one for
   * each insert that found its id live), so `head() - position` is an upper bound of what waits.
   */
  head(): number;
  /** Up to `limit` documents after sequence `after`, in order, each with its sequence as `_lsn`. */
  readAfter(after: number, limit: number): Promise<readonly { readonly _lsn: number }[]>;
}

export interface FeedPumpOptions {
  /** The function it plays the trigger for, as named in functions/. */
  readonly functionName: string;
  readonly source: FeedSource;
  readonly handler: FeedHandler;
  readonly database: LocalDatabase;
  readonly checkpoints: CheckpointStore;
  /** The checkpoint (the lease, in Azure) that holds the last sequence handled. */
  readonly checkpoint: string;
  readonly batchSize: number;
  /**
   * How long waiting documents may wait for more before they are handled, unless `batchSize` are
   * already waiting. A tally (and a counter commit) costs about the same for one change as for
   * thousands, so bigger, rarer batches cut the work per detection; 0 handles them at once.
   */
  readonly lingerMs?: number;
  /** Called after each batch is committed (to wake the next stage). */
  readonly afterCommit?: () => void;
  readonly logger: Logger;
  readonly idlePollMs?: number;
}

/**
 * Feeds an ordered log to a real change-feed handler, as the Cosmos DB trigger would, each batch in
 * one transaction with the checkpoint.
 */
export class FeedPump {
  private readonly signal = new WakeSignal();
  private readonly stopSignal = new StopSignal();
  private loop: Promise<void> | undefined;
  private committed = 0;
  /** The head seen before the last read that came back short: every document up to it was read. */
  private caughtUp = 0;

  constructor(private readonly options: FeedPumpOptions) {}

  start(): void {
    this.committed = this.options.checkpoints.getNow(this.options.checkpoint) ?? 0;
    this.loop = this.run();
  }

  /** New documents were committed: look now rather than at the next poll. */
  wake(): void {
    this.signal.wake();
  }

  async stop(): Promise<void> {
    this.stopSignal.stop();
    this.signal.wake();
    await this.loop;
  }

  /** The highest sequence handled and checkpointed. */
  position(): number {
    return this.committed;
  }

  /** Documents committed to the source but not yet handled (at most; see FeedSource.head). */
  backlog(): number {
    return Math.max(0, this.options.source.head() - Math.max(this.committed, this.caughtUp));
  }

  private async run(): Promise<void> {
    const { source, handler, database, checkpoints, checkpoint, functionName, batchSize, logger } = this.options;
    const warn = throttledWarn(logger);
    const logHandler = invocationLogHandler(logger);
    const idleMs = this.options.idlePollMs ?? 200;
    const lingerMs = this.options.lingerMs ?? 0;
    let failures = 0;
    // The latest time at which the oldest waiting change was already stored: the linger runs from it.
    let waitingSince: number | undefined;
    while (!this.stopSignal.isStopped) {
      try {
        const head = source.head();
        const waiting = head - Math.max(this.committed, this.caughtUp);
        if (waiting <= 0) {
          waitingSince = undefined;
          await this.signal.wait(idleMs);
          continue;
        }
        const now = performance.now();
        waitingSince ??= now;
        const lingerLeft = waitingSince + lingerMs - now;
        if (waiting < batchSize && lingerLeft > 0) {
          // Each ingest commit wakes the pump, so a full batch is noticed as soon as it is stored.
          await this.signal.wait(lingerLeft);
          continue;
        }
        const readStartedAt = now;
        const documents = await source.readAfter(this.committed, batchSize);
        const last = documents[documents.length - 1];
        if (!last) {
          // Nothing after the checkpoint up to `head`: the numbers in between were skipped.
          this.caughtUp = head;
          continue;
        }
        await database.unit(async () => {
          const context = new InvocationContext({ invocationId: randomUUID(), functionName, triggerMetadata: {}, logHandler });
          await handler([...documents], context);
          await checkpoints.set(checkpoint, last._lsn);
        });
        this.committed = last._lsn;
        // A short read saw everything committed before it began.
        if (documents.length < batchSize) this.caughtUp = head;
        this.options.afterCommit?.();
        // A full batch may have left older changes behind: fold on at once. Otherwise whatever is
        // waiting now was stored after the read began.
        waitingSince = documents.length >= batchSize ? -Infinity : readStartedAt;
        if (failures > 0) logger.info(`recovered after ${failures} failed attempts`);
        failures = 0;
      } catch (error) {
        failures += 1;
        warn(`batch after sequence ${this.committed} failed (attempt ${failures}), will retry: ${describeError(error)}`);
        await this.stopSignal.sleep(backoffMs(failures));
      }
    }
  }
}
