import { COUNTER_NAMES, type PipelineCounters } from '../ports';
import type { Backlog, Services } from '../services';

export interface HealthReport {
  /** Always 'ready': a host that cannot load Dataset B or reach its stores answers 503 instead. */
  status: 'ready';
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

interface CachedHealth {
  readonly answer: Promise<HealthReport>;
  /** When the answer settled (epoch ms); null while the read is in flight. */
  settledAt: number | null;
}

/** One cached answer per Services bundle, that is per worker (a new bundle starts afresh). */
const cache = new WeakMap<Services, CachedHealth>();

/**
 * `readHealth`, at most once per `ttlMs` per Services bundle, whoever asks and how often: callers
 * during a read share it, callers within `ttlMs` of its end get its answer, a failure included. So an
 * anonymous caller can never cost more than one read of the stores (or one Dataset B load on a cold
 * worker) per `ttlMs`. With `ttlMs` 0, concurrent callers still share one read.
 */
export function cachedHealth(services: Services, ttlMs: number): Promise<HealthReport> {
  const now = services.clock.now();
  const cached = cache.get(services);
  if (cached && (cached.settledAt === null || now - cached.settledAt < ttlMs)) return cached.answer;
  const entry: CachedHealth = { answer: readHealth(services), settledAt: null };
  const settle = () => {
    entry.settledAt = services.clock.now();
  };
  entry.answer.then(settle, settle);
  cache.set(services, entry);
  return entry.answer;
}
