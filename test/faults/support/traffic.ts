/**
 * Live traffic for the runtime-level fault tests: a seeded generator's events posted in batches by a
 * client that retries every batch until it gets a 202 (at-least-once, as a real sender behaves), and
 * helpers to compare the runtime's tables with the generator's truth.
 */
import { writeFileSync } from 'node:fs';
import { DetectionGenerator } from '../../../tools/lib/generator';
import { getJson, type Health } from '../../support/runtime';
import { differencesFromTruth, type ServedRow } from './truth';

export const LOCATION_COUNT = 30;
export const LOCATION_NAMES = new Map(Array.from({ length: LOCATION_COUNT }, (_, i) => [String(i + 1), `Fault location ${i + 1}`]));
export const TRAFFIC_NOW = Date.UTC(2026, 10, 22, 10, 30);

export function writeDatasetB(path: string): void {
  writeFileSync(
    path,
    ['geographical_location_oid,geographical_location', ...[...LOCATION_NAMES].map(([oid, name]) => `${oid},${name}`)].join('\n') + '\n',
  );
}

export function trafficGenerator(seed: number, overrides: { invalid?: number } = {}): DetectionGenerator {
  return new DetectionGenerator({
    seed,
    now: () => TRAFFIC_NOW,
    locations: LOCATION_COUNT,
    items: 25,
    duplicates: 0.08,
    conflicts: 0.3,
    invalid: overrides.invalid ?? 0.01,
    unknownLocations: 0.03,
    late: 0.15,
    lateHours: 4,
    largeIds: 0.2,
  });
}

/** Where the runtime currently answers; changes when it is restarted. */
export interface Target {
  url: string;
}

export interface SendReport {
  acknowledged: number;
  /** Requests that failed (refused connection, reset, 5xx) and were sent again. */
  retried: number;
  statuses: Map<number | string, number>;
  /** The first few error answers (5xx bodies), to judge whether they say what went wrong. */
  errors: string[];
}

/**
 * Posts every batch until it is acknowledged, `concurrency` requests at a time, and calls
 * `onAcknowledged` after each 202. A failed request is retried against whatever `target.url` is then.
 * Keep `concurrency` at 1 when the truth depends on order: the first copy of a detection wins, and
 * a retried batch overtaken by a later one would deliver a later (conflicting) copy first.
 */
export async function sendAll(
  target: Target,
  batches: readonly unknown[][],
  options: { concurrency: number; onAcknowledged?: (count: number) => void; stopAfterMs?: number },
): Promise<SendReport> {
  const report: SendReport = { acknowledged: 0, retried: 0, statuses: new Map(), errors: [] };
  const deadline = Date.now() + (options.stopAfterMs ?? 600_000);
  let next = 0;
  const note = (key: number | string): void => void report.statuses.set(key, (report.statuses.get(key) ?? 0) + 1);
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++] as unknown[];
      for (;;) {
        if (Date.now() > deadline)
          throw new Error(`could not deliver every batch before the deadline: ${JSON.stringify([...report.statuses])}`);
        let status: number | string;
        try {
          const response = await fetch(`${target.url}/api/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(batch),
            signal: AbortSignal.timeout(60_000),
          });
          status = response.status;
          const text = await response.text();
          if (status >= 500 && report.errors.length < 10) report.errors.push(`${status} ${text}`);
        } catch (error) {
          status = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        }
        note(status);
        if (status === 202) break;
        if (typeof status === 'number' && status >= 400 && status < 500) throw new Error(`a generated batch was refused with ${status}`);
        report.retried += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      report.acknowledged += 1;
      options.onAcknowledged?.(report.acknowledged);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return report;
}

/** The generator's events in batches of bodies; `invalid` collects the invalid bodies as JSON text. */
export function batchesOf(generator: DetectionGenerator, events: number, size: number, invalid: string[] = []): unknown[][] {
  const batches: unknown[][] = [];
  for (let sent = 0; sent < events; sent += size) {
    const batch = generator.batch(Math.min(size, events - sent));
    for (const event of batch) if (event.kind === 'invalid') invalid.push(JSON.stringify(event.body));
    batches.push(batch.map((event) => event.body));
  }
  return batches;
}

export async function tableDifferences(baseUrl: string, generator: DetectionGenerator): Promise<string[]> {
  return differencesFromTruth(generator.truth, (window) => getJson<ServedRow[]>(`${baseUrl}/api/top-items?top=1000&window=${window}`), {
    hours: true,
    locationNames: LOCATION_NAMES,
  });
}

/** The counters that stay exact whatever the client retried. */
export function exactCounters(health: Health): { stored: number; unknown_location: number; acceptedMinusStoredDuplicatesBacklog: number } {
  const { accepted, stored, duplicates, unknown_location } = health.counters;
  return {
    stored,
    unknown_location,
    acceptedMinusStoredDuplicatesBacklog: accepted - (stored + duplicates + (health.backlog.events ?? 0)),
  };
}
