import { COUNTER_NAMES, type MetricsStore, type PipelineCounters } from '../shared/ports';
import type { ReadableLog } from './eventlog';

/**
 * The local host's pipeline counters: `accepted` is read from the event log, every other counter
 * from the store. A separate `accepted` counter, added after the append, would miss events that are
 * durable in the log when the process dies (or the store fails) between the two; the log's own
 * record count cannot disagree with the log. So `accepted` deltas are dropped here.
 */
export class EventLogMetrics implements MetricsStore {
  constructor(
    private readonly counters: MetricsStore,
    private readonly log: Pick<ReadableLog, 'durableRecordCount'>,
  ) {}

  add(delta: Partial<PipelineCounters>): Promise<void> {
    const kept: Partial<PipelineCounters> = {};
    for (const name of COUNTER_NAMES) if (name !== 'accepted' && delta[name] !== undefined) kept[name] = delta[name];
    return this.counters.add(kept);
  }

  async read(): Promise<PipelineCounters> {
    const counters = await this.counters.read();
    return { ...counters, accepted: this.log.durableRecordCount() };
  }
}
