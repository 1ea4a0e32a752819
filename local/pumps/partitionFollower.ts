import type { ReadableLog } from '../eventlog';
import type { CheckpointStore } from '../store';
import { StopSignal, WakeSignal } from './signal';

/**
 * One loop per event-log partition, each resuming at its committed checkpoint and woken when new
 * records turn durable: the plumbing the partition pumps and the capture writer share. Subclasses say
 * where a partition's checkpoint lives and what a loop does.
 */
export abstract class PartitionFollower {
  protected readonly committed: number[] = [];
  protected readonly signals: WakeSignal[] = [];
  protected readonly stopSignal = new StopSignal();
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => void) | undefined;

  protected constructor(
    protected readonly log: ReadableLog,
    private readonly checkpointStore: Pick<CheckpointStore, 'getNow'>,
  ) {}

  protected abstract checkpointKeyOf(partition: number): string;
  protected abstract run(partition: number): Promise<void>;

  start(): void {
    for (let partition = 0; partition < this.log.partitionCount; partition += 1) {
      this.committed[partition] = this.checkpointStore.getNow(this.checkpointKeyOf(partition)) ?? this.log.startSequence(partition);
      this.signals[partition] = new WakeSignal();
    }
    this.unsubscribe = this.log.onDurable((partitions) => {
      for (const partition of partitions) this.signals[partition]?.wake();
    });
    this.loops = this.signals.map((_, partition) => this.run(partition));
  }

  /** Lets each loop finish what it is doing (its stop work included), then resolves. */
  async stop(): Promise<void> {
    this.stopSignal.stop();
    this.unsubscribe?.();
    for (const signal of this.signals) signal.wake();
    await Promise.all(this.loops);
  }

  /** The committed checkpoint of a partition: every record below it is handled. */
  position(partition: number): number {
    return this.committed[partition] ?? 0;
  }

  /** Durable records not yet handled, over all partitions. */
  backlog(): number {
    let total = 0;
    for (let partition = 0; partition < this.log.partitionCount; partition += 1) {
      total += Math.max(0, this.log.endSequence(partition) - this.position(partition));
    }
    return total;
  }
}
