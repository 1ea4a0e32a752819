import { COUNTER_NAMES, type PipelineCounters } from '../ports';
import type { Backlog, Services } from '../services';

export interface HealthReport {
  /** Always 'ready': a host that cannot load Dataset B or reach its stores answers 503 instead. */
  status: 'ready';
  host: Services['host'];
  locations: number;
  counters: PipelineCounters;
  backlog: Backlog;
  checkedAt: string;
}

/** Readiness means Dataset B is loaded and the stores answer; the counters come along. */
export async function readHealth(services: Services): Promise<HealthReport> {
  const [locations, counters, backlog] = await Promise.all([services.locations(), services.metrics.read(), services.backlog()]);
  const complete = Object.fromEntries(COUNTER_NAMES.map((name) => [name, counters[name] ?? 0])) as unknown as PipelineCounters;
  return {
    status: 'ready',
    host: services.host,
    locations: locations.size,
    counters: complete,
    backlog,
    checkedAt: new Date(services.clock.now()).toISOString(),
  };
}
