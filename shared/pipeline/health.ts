import { COUNTER_NAMES, type PipelineCounters } from '../ports';
import type { Backlog, Services } from '../services';

export interface HealthReport {
  status: 'ready' | 'starting';
  host: Services['host'];
  locations: number;
  counters: PipelineCounters;
  backlog: Backlog;
  /** Store requests by operation since the worker started, where the host counts them (the local runtime). */
  operations?: Record<string, number>;
  checkedAt: string;
}

/** Readiness means Dataset B is loaded and the stores answer; the counters come along. */
export async function readHealth(services: Services): Promise<HealthReport> {
  const [locations, counters, backlog] = await Promise.all([services.locations(), services.metrics.read(), services.backlog()]);
  const complete = Object.fromEntries(COUNTER_NAMES.map((name) => [name, counters[name] ?? 0])) as unknown as PipelineCounters;
  const operations = services.operations?.();
  return {
    status: 'ready',
    host: services.host,
    locations: locations.size,
    counters: complete,
    backlog,
    ...(operations ? { operations } : {}),
    checkedAt: new Date(services.clock.now()).toISOString(),
  };
}
