/**
 * How far an Event Hubs partition is behind, from the trigger metadata of one `ingest` batch: the age
 * of the batch's last event (now − its enqueued time). `ingest` logs it as one `partition-lag` line
 * per invocation, retries included, so a partition stuck on a failing batch reports a growing lag and
 * the partition-lag alert (infra/monitoring/partition-lag-alert.kql) can see it.
 */
export interface PartitionLag {
  readonly partition: string;
  readonly lagSeconds: number;
  readonly events: number;
}

export const PARTITION_LAG_PREFIX = 'partition-lag ';

/** The lag of one batch, or undefined when the metadata carries no readable enqueued time. */
export function partitionLagOf(metadata: Record<string, unknown> | undefined, events: number, nowMs: number): PartitionLag | undefined {
  const enqueued = metadata?.['enqueuedTimeUtcArray'];
  if (!Array.isArray(enqueued) || enqueued.length === 0) return undefined;
  const lastMs = toEpochMs(enqueued[enqueued.length - 1]);
  if (lastMs === undefined) return undefined;
  const partitionId = (metadata?.['partitionContext'] as { partitionId?: unknown } | undefined)?.partitionId;
  const partition = typeof partitionId === 'string' || typeof partitionId === 'number' ? String(partitionId) : 'unknown';
  // A sender clock ahead of ours would give a negative age; the partition is then simply not behind.
  const lagSeconds = Math.max(0, Math.round((nowMs - lastMs) / 100) / 10);
  return { partition, lagSeconds, events };
}

/** The log line the alert and the workbook read: the prefix, then compact JSON. */
export function partitionLagLine(lag: PartitionLag): string {
  return `${PARTITION_LAG_PREFIX}${JSON.stringify(lag)}`;
}

// The host hands enqueued times over as ISO strings; a Date or epoch milliseconds are accepted too.
function toEpochMs(value: unknown): number | undefined {
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
