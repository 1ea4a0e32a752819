/**
 * Comparing what the pipeline serves with the generator's independent truth, and the knobs shared by
 * the fault suite: `FAULTS=full` runs the long form, anything else the short one that `npm test` runs.
 */
import type { Truth } from '../../../tools/lib/generator';

export const FULL = process.env['FAULTS'] === 'full';

/** Picks the short or the long value. */
export function scale<T>(short: T, full: T): T {
  return FULL ? full : short;
}

export interface ServedRow {
  readonly geographical_location_oid: string;
  readonly geographical_location: string | null;
  readonly item_rank: number;
  readonly item_name: string;
  readonly item_count: number;
}

/** Top-items rows of every location for a window such as `all` or `hour:2026-11-22T10` (top=1000). */
export type FetchRows = (window: string) => Promise<readonly ServedRow[]>;

export interface CompareOptions {
  /** Also compare every UTC hour that holds a detection. */
  readonly hours?: boolean;
  /** Dataset B: the name each row must carry (null for a location it does not hold). */
  readonly locationNames?: ReadonlyMap<string, string>;
}

const MAX_REPORTED = 25;

/** Every difference between the served tables and the truth; empty when every count and rank is exact. */
export async function differencesFromTruth(truth: Truth, fetchRows: FetchRows, options: CompareOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  const windows: { label: string; hours: string[] | undefined }[] = [{ label: 'all', hours: undefined }];
  if (options.hours) for (const hour of truth.hours()) windows.push({ label: `hour:${hour}`, hours: [hour] });

  for (const { label, hours } of windows) {
    const rows = await fetchRows(label);
    const served = new Map<string, ServedRow[]>();
    for (const row of rows) {
      const list = served.get(row.geographical_location_oid);
      if (list) list.push(row);
      else served.set(row.geographical_location_oid, [row]);
    }
    const expectedLocations = truth.locations().filter((location) => truth.counts(location, hours).size > 0);
    for (const location of new Set([...expectedLocations, ...served.keys()])) {
      const expected = truth.top(location, 1000, hours).map(({ item, count }) => `${item}=${count}`);
      const actualRows = [...(served.get(location) ?? [])].sort((a, b) => a.item_rank - b.item_rank);
      const actual = actualRows.map((row) => `${row.item_name}=${row.item_count}`);
      if (expected.join('\n') !== actual.join('\n')) {
        const missing = expected.filter((entry) => !actual.includes(entry));
        const extra = actual.filter((entry) => !expected.includes(entry));
        problems.push(
          `${label} location ${location}: expected ${expected.length} ranked items, got ${actual.length}; missing [${missing.slice(0, 5).join(', ')}] extra [${extra.slice(0, 5).join(', ')}]`,
        );
      }
      if (options.locationNames) {
        const name = options.locationNames.get(location) ?? null;
        const wrong = actualRows.find((row) => row.geographical_location !== name);
        if (wrong)
          problems.push(
            `${label} location ${location}: named ${JSON.stringify(wrong.geographical_location)}, expected ${JSON.stringify(name)}`,
          );
      }
      if (problems.length >= MAX_REPORTED) return problems;
    }
  }
  return problems;
}

/** A small seeded random source for choosing fault points, so a failing run can be repeated. */
export function faultRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** The seed of this run: FAULTS_SEED when given, otherwise the time, printed so a failure can be replayed. */
export function runSeed(name: string): number {
  const given = Number(process.env['FAULTS_SEED']);
  const seed = Number.isSafeInteger(given) && given > 0 ? given : Date.now() % 1_000_000_007;
  process.stdout.write(`${name}: FAULTS_SEED=${seed}\n`);
  return seed;
}
