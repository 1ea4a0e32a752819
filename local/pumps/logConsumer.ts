import type { ReadableLog } from '../eventlog';
import type { LogRecord } from '../eventlog/record';
import { describeError, type Logger, throttledWarn } from '../log';
import type { CheckpointStore, LocalDatabase } from '../store';
import { PartitionFollower } from './partitionFollower';
import { backoffMs, type WakeSignal } from './signal';

export interface LogBatch {
  readonly partition: number;
  readonly records: readonly LogRecord[];
  /** The checkpoint committed with this batch: the sequence number after its last record. */
  readonly next: number;
}

export interface LogConsumerOptions {
  /** Names the checkpoints: `eventlog/<name>/<partition>`. */
  readonly name: string;
  readonly log: ReadableLog;
  readonly database: LocalDatabase;
  readonly checkpoints: CheckpointStore;
  readonly batchSize: number;
  readonly logger: Logger;
  /** Runs inside a store unit together with the checkpoint advance; throwing rolls both back and retries. */
  readonly handle: (batch: LogBatch) => Promise<void>;
  /** Called after a batch committed. */
  readonly afterCommit?: (batch: LogBatch) => void;
  /** How long an idle partition waits for a new-data signal before looking again. */
  readonly idlePollMs?: number;
}

/**
 * Reads every partition of the event log from its checkpoint, in batches, and hands each batch to
 * `handle` in one transaction with the checkpoint. A crash keeps both or neither; a failure rolls
 * back and the same batch is retried with backoff: never dropped, never skipped.
 */
export class LogConsumer extends PartitionFollower {
  constructor(private readonly options: LogConsumerOptions) {
    super(options.log, options.checkpoints);
  }

  get name(): string {
    return this.options.name;
  }

  checkpointKey(partition: number): string {
    return `eventlog/${this.options.name}/${partition}`;
  }

  protected checkpointKeyOf(partition: number): string {
    return this.checkpointKey(partition);
  }

  protected async run(partition: number): Promise<void> {
    const { log, database, checkpoints, batchSize, logger, handle } = this.options;
    const signal = this.signals[partition] as WakeSignal;
    const warn = throttledWarn(logger);
    const idleMs = this.options.idlePollMs ?? 200;
    const reader = log.reader(partition, this.position(partition));
    let pending: LogRecord[] | undefined;
    let failures = 0;
    try {
      while (!this.stopSignal.isStopped) {
        try {
          if (!pending) {
            log.catchUp?.();
            pending = reader.read(batchSize);
          }
          const last = pending[pending.length - 1];
          if (!last) {
            pending = undefined;
            await signal.wait(idleMs);
            continue;
          }
          const batch: LogBatch = { partition, records: pending, next: last.sequenceNumber + 1 };
          await database.unit(async () => {
            await handle(batch);
            await checkpoints.set(this.checkpointKey(partition), batch.next);
          });
          this.committed[partition] = batch.next;
          pending = undefined;
          if (failures > 0) logger.info(`partition ${partition}: recovered after ${failures} failed attempts`);
          failures = 0;
          this.options.afterCommit?.(batch);
        } catch (error) {
          failures += 1;
          warn(
            `partition ${partition}: batch at sequence ${this.position(partition)} failed (attempt ${failures}), will retry: ${describeError(error)}`,
          );
          await this.stopSignal.sleep(backoffMs(failures));
        }
      }
    } finally {
      reader.close();
    }
  }
}
