import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { describeError, invocationLogHandler, type Logger, throttledWarn } from '../log';
import type { LocalStore } from '../store';
import { backoffMs, StopSignal, WakeSignal } from './signal';

export type AggregateHandler = (documents: unknown[], context: InvocationContext) => Promise<void>;

export const CHANGE_CHECKPOINT = 'changes/aggregate';

export interface ChangePumpOptions {
  readonly store: LocalStore;
  readonly aggregate: AggregateHandler;
  readonly batchSize: number;
  /**
   * How long stored changes may wait for more before they are folded, unless `batchSize` are already
   * waiting. A counter commit costs the same for one change as for thousands, so folding bigger
   * batches less often cuts the commits per detection; 0 folds as soon as anything is stored.
   */
  readonly lingerMs?: number;
  readonly logger: Logger;
  readonly idlePollMs?: number;
}

/**
 * Feeds the change log to the real `aggregate` handler, as the Cosmos DB change-feed trigger would,
 * each batch in one transaction with the checkpoint (the lease, in Azure).
 */
export class ChangePump {
  private readonly signal = new WakeSignal();
  private readonly stopSignal = new StopSignal();
  private loop: Promise<void> | undefined;
  private committed = 0;

  constructor(private readonly options: ChangePumpOptions) {}

  start(): void {
    this.committed = this.options.store.checkpoints.getNow(CHANGE_CHECKPOINT) ?? 0;
    this.loop = this.run();
  }

  /** New changes were committed: look now rather than at the next poll. */
  wake(): void {
    this.signal.wake();
  }

  async stop(): Promise<void> {
    this.stopSignal.stop();
    this.signal.wake();
    await this.loop;
  }

  /** The highest change sequence folded into the counters. */
  position(): number {
    return this.committed;
  }

  backlog(): number {
    return Math.max(0, this.options.store.dedup.head() - this.committed);
  }

  private async run(): Promise<void> {
    const { store, aggregate, batchSize, logger } = this.options;
    const warn = throttledWarn(logger);
    const logHandler = invocationLogHandler(logger);
    const idleMs = this.options.idlePollMs ?? 200;
    const lingerMs = this.options.lingerMs ?? 0;
    let failures = 0;
    // The latest time at which the oldest waiting change was already stored: the linger runs from it.
    let waitingSince: number | undefined;
    while (!this.stopSignal.isStopped) {
      try {
        const waiting = store.dedup.head() - this.committed;
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
        const documents = await store.changes.readAfter(this.committed, batchSize);
        const last = documents[documents.length - 1];
        if (!last) {
          await this.signal.wait(idleMs);
          continue;
        }
        await store.database.unit(async () => {
          const context = new InvocationContext({ invocationId: randomUUID(), functionName: 'aggregate', triggerMetadata: {}, logHandler });
          await aggregate(documents, context);
          await store.checkpoints.set(CHANGE_CHECKPOINT, last._lsn);
        });
        this.committed = last._lsn;
        // A full batch may have left older changes behind: fold on at once. Otherwise whatever is
        // waiting now was stored after the read began.
        waitingSince = documents.length >= batchSize ? -Infinity : readStartedAt;
        if (failures > 0) logger.info(`recovered after ${failures} failed attempts`);
        failures = 0;
      } catch (error) {
        failures += 1;
        warn(`batch after change ${this.committed} failed (attempt ${failures}), will retry: ${describeError(error)}`);
        await this.stopSignal.sleep(backoffMs(failures));
      }
    }
  }
}
