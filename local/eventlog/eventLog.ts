import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectionWire } from '../../shared/domain/detection';
import { partitionOfKey } from '../../shared/domain/partitioning';
import type { Clock, EventPublisher } from '../../shared/ports';
import { systemClock } from '../../shared/ports';
import { LogPartition, type PartitionOpenReport, type PartitionReader, type PartitionState } from './partition';

export interface EventLogOptions {
  readonly dir: string;
  readonly partitions: number;
  /** A segment is sealed and a new one started once it reaches this size. */
  readonly segmentBytes?: number;
  readonly clock?: Clock;
}

export interface LogAppend {
  /** The partition key (the camera oid): one key always lands in the same partition. */
  readonly key: string;
  readonly body: Buffer;
}

/** What the log's consumers read: the writing log itself, or its mirror on another thread. */
export interface ReadableLog {
  readonly partitionCount: number;
  /** Sequence number after the last durable record of a partition. */
  endSequence(partition: number): number;
  /** Oldest sequence number still kept by a partition. */
  startSequence(partition: number): number;
  /** Records ever made durable, over all partitions (never goes down). */
  durableRecordCount(): number;
  reader(partition: number, fromSequence: number): PartitionReader;
  /** Calls `listener` with the partitions that just received durable records. */
  onDurable(listener: (partitions: readonly number[]) => void): () => void;
  /** Deletes sealed segments of a partition that lie wholly below `sequence`. */
  retainFrom(partition: number, sequence: number): number;
  /**
   * Takes in durable notices that wait for this thread, so that a read sees every record acknowledged
   * so far (a mirror on a busy thread would otherwise learn of them one turn of its event loop at a time).
   */
  catchUp?(): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const LAYOUT_FILE = 'layout.json';

/**
 * The local stand-in for Event Hubs: N partitions keyed by camera. `append` resolves once every
 * record is fsynced. Appends that arrive while a write is under way are committed together by the
 * next one (group commit), so many concurrent requests share each fsync.
 */
export class EventLog implements ReadableLog {
  private waiting: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private readonly listeners = new Set<(partitions: readonly number[]) => void>();
  private closed = false;
  private readonly clock: Clock;

  private constructor(
    readonly dir: string,
    private readonly partitions: readonly LogPartition[],
    clock: Clock,
  ) {
    this.clock = clock;
  }

  static async open(options: EventLogOptions): Promise<{ log: EventLog; reports: PartitionOpenReport[] }> {
    mkdirSync(options.dir, { recursive: true });
    const layoutPath = join(options.dir, LAYOUT_FILE);
    if (existsSync(layoutPath)) {
      const layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as { partitions?: unknown };
      if (layout.partitions !== options.partitions) {
        throw new Error(
          `PARTITIONS is ${options.partitions} but the event log in ${options.dir} has ${String(layout.partitions)}: keys would move to other partitions; keep the old value or start with an empty DATA_DIR`,
        );
      }
    } else {
      writeFileSync(layoutPath, JSON.stringify({ partitions: options.partitions }) + '\n');
    }
    const opened = await Promise.all(
      Array.from({ length: options.partitions }, (_, id) =>
        LogPartition.open(join(options.dir, String(id)), id, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES),
      ),
    );
    return {
      log: new EventLog(
        options.dir,
        opened.map((item) => item.partition),
        options.clock ?? systemClock,
      ),
      reports: opened.map((item) => item.report),
    };
  }

  get partitionCount(): number {
    return this.partitions.length;
  }

  partitionOf(key: string): number {
    return partitionOfKey(key, this.partitions.length);
  }

  /** Resolves once every record is durable; rejects if the write failed (then none is acknowledged). */
  append(items: readonly LogAppend[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the event log is closed'));
    if (items.length === 0) return Promise.resolve();
    for (const item of items) this.partition(this.partitionOf(item.key)).enqueue(Buffer.from(item.key, 'utf8'), item.body);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Sequence number after the last durable record of a partition. */
  endSequence(partition: number): number {
    return this.partition(partition).endSequence;
  }

  /**
   * Records ever made durable, over all partitions. Sequences are never reused and retention only
   * drops whole segments from the front, so this never goes down.
   */
  durableRecordCount(): number {
    return this.partitions.reduce((sum, partition) => sum + partition.endSequence, 0);
  }

  /** Oldest sequence number still kept by a partition. */
  startSequence(partition: number): number {
    return this.partition(partition).startSequence;
  }

  reader(partition: number, fromSequence: number): PartitionReader {
    return this.partition(partition).reader(fromSequence);
  }

  /** Every partition's segments and durable end: what a mirror on another thread starts from. */
  state(): PartitionState[] {
    return this.partitions.map((partition) => partition.state());
  }

  /** A partition's active segment and durable end, to advance a mirror after a flush. */
  tail(partition: number): PartitionState {
    return this.partition(partition).tail();
  }

  /** Calls `listener` with the partitions that just received durable records. */
  onDurable(listener: (partitions: readonly number[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Deletes sealed segments of a partition that lie wholly below `sequence`. */
  retainFrom(partition: number, sequence: number): number {
    return this.partition(partition).deleteBefore(sequence);
  }

  /** Finishes the write under way (acknowledging it), refuses new appends, and closes the files. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await Promise.all(this.partitions.map((partition) => partition.close()));
  }

  private partition(id: number): LogPartition {
    const partition = this.partitions[id];
    if (!partition) throw new Error(`event-log partition ${id} does not exist (0..${this.partitions.length - 1})`);
    return partition;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting;
        this.waiting = [];
        const dirty = this.partitions.filter((partition) => partition.hasPending);
        const enqueuedMs = this.clock.now();
        const results = await Promise.allSettled(dirty.map((partition) => partition.flush(enqueuedMs)));
        const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        for (const waiter of group) {
          if (failure) waiter.reject(failure.reason);
          else waiter.resolve();
        }
        const flushed = dirty.filter((_, index) => results[index]?.status === 'fulfilled').map((partition) => partition.id);
        if (flushed.length > 0) for (const listener of this.listeners) listener(flushed);
      }
    } finally {
      // Cleared in the same tick as the last look at `waiting`, so a later append starts a new loop.
      this.flushing = undefined;
    }
  }
}

/** EventPublisher over the local log: keyed by camera, resolved once durable. */
export class EventLogPublisher implements EventPublisher {
  constructor(private readonly log: EventLog) {}

  publish(events: readonly DetectionWire[]): Promise<void> {
    return this.log.append(events.map((event) => ({ key: event.video_camera_oid, body: Buffer.from(JSON.stringify(event), 'utf8') })));
  }
}
