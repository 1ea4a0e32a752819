/**
 * The benchmark's stream: JSON array bodies drawn from the seeded generator (which keeps the independent
 * truth), built before the clock starts so the load generator does not compete with the runtime for
 * CPU, plus probe events whose visibility in GET /api/top-items measures latency.
 */
import { DetectionGenerator, type GeneratorOptions } from '../generator';

export interface StreamOptions {
  readonly seed: number;
  readonly locations: number;
  readonly items: number;
  readonly skew: number;
  readonly duplicates: number;
  readonly late: number;
  readonly invalid: number;
  readonly largeIds: number;
  readonly idOrder: 'sequential' | 'random';
}

export interface Body {
  readonly text: string;
  readonly events: number;
  /**
   * Earlier bodies (same phase) holding the original of a conflicting copy in this one. The copy
   * differs from its original, so which one counts depends on which arrives first: this body must be
   * sent only after every one of them got its 202. Identical copies count the same either way.
   */
  readonly after: readonly number[];
}

export function createGenerator(options: StreamOptions, now: () => number = Date.now): DetectionGenerator {
  const generatorOptions: Partial<GeneratorOptions> & Pick<GeneratorOptions, 'seed' | 'now'> = {
    seed: options.seed,
    now,
    locations: options.locations,
    items: options.items,
    skew: options.skew,
    duplicates: options.duplicates,
    late: options.late,
    invalid: options.invalid,
    largeIds: options.largeIds,
    idOrder: options.idOrder,
    // Copies repeat one of the last 10,000 detections: well inside any dedup horizon of a run.
    duplicateMemory: 10_000,
  };
  return new DetectionGenerator(generatorOptions);
}

/** Copies repeat one of the last `duplicateMemory` detections, so originals older than this many bodies are never needed. */
const REMEMBERED_BODIES = 64;

/**
 * Serializes `events` generated events into JSON array bodies of `batchSize` events, noting for each
 * body the earlier bodies that hold the originals of its conflicting copies.
 */
export function buildBodies(generator: DetectionGenerator, events: number, batchSize: number): Body[] {
  const bodies: Body[] = [];
  const bodyOfOriginal = new Map<string, number>();
  const originalsOfBody: string[][] = [];
  for (let done = 0; done < events; done += batchSize) {
    const index = bodies.length;
    const size = Math.min(batchSize, events - done);
    const batch = generator.batch(size);
    const originals: string[] = [];
    const after = new Set<number>();
    for (const event of batch) {
      const oid = detectionOidOf(event.body);
      if (oid === undefined) continue;
      if (event.kind === 'fresh') {
        bodyOfOriginal.set(oid, index);
        originals.push(oid);
      } else if (event.kind === 'conflict') {
        const origin = bodyOfOriginal.get(oid);
        if (origin !== undefined && origin < index) after.add(origin);
      }
    }
    originalsOfBody.push(originals);
    const expired = originalsOfBody[index - REMEMBERED_BODIES];
    if (expired) {
      for (const oid of expired) if (bodyOfOriginal.get(oid) === index - REMEMBERED_BODIES) bodyOfOriginal.delete(oid);
      originalsOfBody[index - REMEMBERED_BODIES] = [];
    }
    bodies.push({ text: JSON.stringify(batch.map((event) => event.body)), events: size, after: [...after].sort((a, b) => a - b) });
  }
  return bodies;
}

function detectionOidOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const oid = (body as Record<string, unknown>)['detection_oid'];
  return typeof oid === 'number' || typeof oid === 'string' ? String(oid) : undefined;
}

/** Probe locations sit far above the stream's (1..N) so they never mix with its counts. */
export const PROBE_LOCATION_BASE = 900_000_000;
const PROBE_DETECTION_BASE = 7_000_000_000_000_000_000n;

export interface Probe {
  readonly locationOid: string;
  readonly itemName: string;
  readonly event: Record<string, unknown>;
}

export function probeEvent(sequence: number, nowMs: number): Probe {
  const locationOid = String(PROBE_LOCATION_BASE + sequence);
  const itemName = `probe-${sequence}`;
  return {
    locationOid,
    itemName,
    event: {
      geographical_location_oid: locationOid,
      video_camera_oid: '1',
      detection_oid: (PROBE_DETECTION_BASE + BigInt(sequence)).toString(),
      item_name: itemName,
      timestamp_detected: nowMs,
    },
  };
}

export function isProbeLocation(locationOid: string): boolean {
  const value = Number(locationOid);
  return Number.isSafeInteger(value) && value >= PROBE_LOCATION_BASE && value < PROBE_LOCATION_BASE + 100_000_000;
}

/** Puts one probe event first in a JSON array body. */
export function withProbe(body: string, probe: Probe): string {
  const inner = body.trim().slice(1);
  return inner.trim() === ']' ? `[${JSON.stringify(probe.event)}]` : `[${JSON.stringify(probe.event)},${inner}`;
}
