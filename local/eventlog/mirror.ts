import type { ReadableLog } from './eventLog';
import {
  deleteSegmentsBefore,
  type PartitionState,
  PartitionReader,
  type Segment,
  segmentAfter,
  segmentFor,
  type SegmentSource,
} from './partition';

/** A partition's segments and durable end as another thread sees them, advanced by durable notices. */
class PartitionMirror implements SegmentSource {
  private readonly segments: Segment[];
  private end: number;

  constructor(
    readonly id: number,
    state: PartitionState,
  ) {
    this.segments = state.segments.map((segment) => ({ ...segment }));
    this.end = state.endSequence;
  }

  get startSequence(): number {
    return (this.segments[0] as Segment).baseSequence;
  }

  get endSequence(): number {
    return this.end;
  }

  segmentFor(sequence: number): { segment: Segment; index: number } {
    return segmentFor(this.segments, sequence);
  }

  segmentAfter(segment: Segment): Segment | undefined {
    return segmentAfter(this.segments, segment);
  }

  /** Takes in the writer's tail after a flush: a grown active segment, or a new one it rolled to. */
  advance(tail: PartitionState): void {
    const [active] = tail.segments;
    const last = this.segments[this.segments.length - 1] as Segment;
    if (active && active.baseSequence === last.baseSequence) last.size = active.size;
    else if (active) this.segments.push({ ...active });
    this.end = tail.endSequence;
  }

  deleteBefore(sequence: number): number {
    return deleteSegmentsBefore(this.segments, sequence);
  }
}

/**
 * The event log read from a thread that does not write it (the store worker). It sees records only
 * once the writing thread reports them durable (`advance`), so it never reads past what was
 * acknowledged; the files themselves are shared through the page cache.
 */
export class EventLogMirror implements ReadableLog {
  private readonly partitions: PartitionMirror[];
  private readonly listeners = new Set<(partitions: readonly number[]) => void>();

  constructor(
    states: readonly PartitionState[],
    /** Told after segments were deleted here, so that the writer forgets them too. */
    private readonly onRetained: (partition: number, sequence: number) => void = () => undefined,
    /** Applies (through `advance`) the writer's notices already sent to this thread but not yet delivered. */
    private readonly takeNotices: () => void = () => undefined,
  ) {
    this.partitions = states.map((state, id) => new PartitionMirror(id, state));
  }

  get partitionCount(): number {
    return this.partitions.length;
  }

  endSequence(partition: number): number {
    return this.partition(partition).endSequence;
  }

  startSequence(partition: number): number {
    return this.partition(partition).startSequence;
  }

  durableRecordCount(): number {
    return this.partitions.reduce((sum, partition) => sum + partition.endSequence, 0);
  }

  reader(partition: number, fromSequence: number): PartitionReader {
    return new PartitionReader(this.partition(partition), fromSequence);
  }

  onDurable(listener: (partitions: readonly number[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  catchUp(): void {
    this.takeNotices();
  }

  /** Applies the writer's durable notice: the tails of the partitions that just received records. */
  advance(tails: readonly { partition: number; tail: PartitionState }[]): void {
    for (const { partition, tail } of tails) this.partition(partition).advance(tail);
    const partitions = tails.map((item) => item.partition);
    for (const listener of this.listeners) listener(partitions);
  }

  retainFrom(partition: number, sequence: number): number {
    const deleted = this.partition(partition).deleteBefore(sequence);
    if (deleted > 0) this.onRetained(partition, sequence);
    return deleted;
  }

  private partition(id: number): PartitionMirror {
    const partition = this.partitions[id];
    if (!partition) throw new Error(`event-log partition ${id} does not exist (0..${this.partitions.length - 1})`);
    return partition;
  }
}
