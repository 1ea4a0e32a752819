/** Percentiles by the nearest-rank method: the smallest sample with at least p % of the samples at or below it. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export interface LatencySummary {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly samples: number;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    p50: round(percentile(samples, 50)),
    p95: round(percentile(samples, 95)),
    p99: round(percentile(samples, 99)),
    max: round(samples.length === 0 ? null : Math.max(...samples)),
    samples: samples.length,
  };
}
