/**
 * The in-memory ceiling: the pipeline's per-event work with no I/O at all. JSON array bodies, like the
 * ones the benchmark POSTs, go through the same parse (parseEventRows) and validation (validateEvent)
 * as the runtime, then a Set of detection ids and a Map of counts per (location, window, item). What the
 * runtime does beyond this loop (HTTP, the event log, SQLite, the change feed, counters) is the cost the
 * ratio throughput / ceiling exposes.
 */
import { performance } from 'node:perf_hooks';
import { validateEvent } from '../../../shared/domain/detection';
import { parseEventRows } from '../../../shared/domain/json';
import { hourKeyOf } from '../../../shared/domain/windows';

export interface CeilingCounts {
  readonly received: number;
  readonly distinct: number;
  readonly duplicates: number;
  readonly invalid: number;
}

/** Parse, validate, dedup, count: the bare loop, kept free of anything but the domain functions. */
export class CeilingLoop {
  private readonly seen = new Set<string>();
  /** location → window ('all' or an hour key) → item → count */
  readonly counts = new Map<string, Map<string, Map<string, number>>>();
  private received = 0;
  private duplicates = 0;
  private invalid = 0;

  process(body: string): void {
    for (const row of parseEventRows(body)) {
      this.received += 1;
      if ('error' in row) {
        this.invalid += 1;
        continue;
      }
      const result = validateEvent(row.value);
      if (!result.ok) {
        this.invalid += 1;
        continue;
      }
      const detection = result.detection;
      if (this.seen.has(detection.detectionOid)) {
        this.duplicates += 1;
        continue;
      }
      this.seen.add(detection.detectionOid);
      let windows = this.counts.get(detection.locationOid);
      if (!windows) this.counts.set(detection.locationOid, (windows = new Map<string, Map<string, number>>()));
      bump(windows, 'all', detection.itemName);
      bump(windows, hourKeyOf(detection.timestampMs), detection.itemName);
    }
  }

  totals(): CeilingCounts {
    return { received: this.received, distinct: this.seen.size, duplicates: this.duplicates, invalid: this.invalid };
  }

  /** All-time item counts of one location. */
  allTime(locationOid: string): Map<string, number> {
    return new Map(this.counts.get(locationOid)?.get('all'));
  }
}

function bump(windows: Map<string, Map<string, number>>, window: string, item: string): void {
  let items = windows.get(window);
  if (!items) windows.set(window, (items = new Map<string, number>()));
  items.set(item, (items.get(item) ?? 0) + 1);
}

export interface CeilingResult extends CeilingCounts {
  /** Time spent inside the loop only; producing the bodies is not timed. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/**
 * Runs the loop over bodies drawn from `nextBody` until it returns undefined. Bodies are produced in
 * chunks outside the timed region, so the generator's cost does not count against the ceiling.
 */
export function measureCeiling(
  nextBody: () => string | undefined,
  chunk = 64,
  warmUp: readonly string[] = [],
): { result: CeilingResult; loop: CeilingLoop } {
  // A throw-away pass lets the JIT compile the loop first, as it has in a runtime that has been up a while.
  const scratch = new CeilingLoop();
  for (const body of warmUp) scratch.process(body);
  const loop = new CeilingLoop();
  let elapsedMs = 0;
  for (;;) {
    const bodies: string[] = [];
    for (let i = 0; i < chunk; i += 1) {
      const body = nextBody();
      if (body === undefined) break;
      bodies.push(body);
    }
    if (bodies.length === 0) break;
    const started = performance.now();
    for (const body of bodies) loop.process(body);
    elapsedMs += performance.now() - started;
  }
  const counts = loop.totals();
  const seconds = elapsedMs / 1000;
  return { result: { ...counts, seconds, eventsPerSecond: seconds > 0 ? counts.received / seconds : 0 }, loop };
}
