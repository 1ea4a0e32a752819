import type { DetectionWire } from '../../../shared/domain/detection';
import {
  COUNTER_NAMES,
  type DeadLetter,
  type DeadLetterSink,
  type EventPublisher,
  type MetricsStore,
  noMeter,
  type PipelineCounters,
  type RequestMeter,
} from '../../../shared/ports';

export function zeroCounters(): PipelineCounters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as PipelineCounters;
}

export class InMemoryMetrics implements MetricsStore {
  private readonly counters = zeroCounters();
  /** Counts the requests the Cosmos DB adapter would make (a patch per add). */
  meter: RequestMeter = noMeter;

  add(delta: Partial<PipelineCounters>): Promise<void> {
    this.meter.record('metrics', 0);
    for (const name of COUNTER_NAMES) this.counters[name] += delta[name] ?? 0;
    return Promise.resolve();
  }

  read(): Promise<PipelineCounters> {
    return Promise.resolve({ ...this.counters });
  }
}

/** Dead letters kept per batch key; writing a batch key again replaces it, as the blob sink does. */
export class InMemoryDeadLetters implements DeadLetterSink {
  readonly batches = new Map<string, DeadLetter[]>();

  write(batchKey: string, letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length > 0) this.batches.set(batchKey, [...letters]);
    return Promise.resolve();
  }

  all(): DeadLetter[] {
    return [...this.batches.values()].flat();
  }
}

export class InMemoryPublisher implements EventPublisher {
  readonly published: DetectionWire[] = [];
  private readonly faults: Error[] = [];

  /** The next publish fails, as an unreachable Event Hubs would, and stores nothing. */
  failNext(error: Error = new Error('simulated: Event Hubs unreachable')): void {
    this.faults.push(error);
  }

  publish(events: readonly DetectionWire[]): Promise<void> {
    const fault = this.faults.shift();
    if (fault) return Promise.reject(fault);
    this.published.push(...structuredClone([...events]));
    return Promise.resolve();
  }
}
