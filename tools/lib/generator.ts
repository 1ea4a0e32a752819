/**
 * A seeded, deterministic generator of camera detections (Dataset A) for the simulator, the benchmark
 * and the fault tests. It keeps its own truth, built without the pipeline's code: the distinct valid
 * detections per (location, item), all-time and per UTC hour, where the first copy of a detection wins.
 * Pure: no I/O, and the clock is injected, so the same seed and clock give the same events.
 */

export interface GeneratorOptions {
  /** Any integer; the same seed gives the same events. */
  readonly seed: number;
  /** How many known locations (oids 1..N), or their oids as decimal strings. */
  readonly locations: number | readonly string[];
  /** Share of fresh detections sent from a location missing from Dataset B (still counted). */
  readonly unknownLocations: number;
  /** Oids used for those unknown locations. */
  readonly unknownLocationOids: readonly string[];
  /** How many distinct items (named from a built-in list, then item-41, item-42, ...), or their names. */
  readonly items: number | readonly string[];
  /** Zipf exponent of location and item popularity: 0 is uniform, 1 is classic Zipf. */
  readonly skew: number;
  /** Share of all events that re-send an earlier detection. */
  readonly duplicates: number;
  /** Share of those re-sent copies that carry a different location or item (a conflict). */
  readonly conflicts: number;
  /** Share of fresh detections whose timestamp lies 1 to `lateHours` hours in the past. */
  readonly late: number;
  readonly lateHours: number;
  /** Share of all events that are invalid (missing field, fractional id, empty item name, ...). */
  readonly invalid: number;
  readonly camerasPerLocation: number;
  /** Share of fresh detections whose oid lies above 2^53, where a JS double would lose it. */
  readonly largeIds: number;
  /**
   * 'sequential': oids count up within the run's block (ids from a database sequence). 'random': each
   * is scrambled over the 52-bit space by an invertible multiplication, so they stay distinct but land
   * all over the key space, as hashed or random oids would: the dedup index's worst case.
   */
  readonly idOrder?: 'sequential' | 'random';
  /** How many recent detections a duplicate may copy; keep it inside the dedup horizon. */
  readonly duplicateMemory: number;
  /**
   * Separates the detection oids of different runs, so two runs against one store do not look like
   * duplicates of each other. Defaults to the seed modulo one million.
   */
  readonly idBlock?: number;
  /** Epoch milliseconds; on-time detections are stamped a little before it. */
  readonly now: () => number;
}

export type EventKind = 'fresh' | 'duplicate' | 'conflict' | 'invalid';

export interface GeneratedEvent {
  readonly kind: EventKind;
  /** The event as sent: ids are JSON numbers when exactly representable, decimal strings when not. */
  readonly body: unknown;
  /** The video camera oid as a decimal string (the Event Hubs partition key); undefined when the row has none. */
  readonly partitionKey: string | undefined;
}

export interface TruthTotals {
  /** Every event produced. */
  emitted: number;
  /** Events that pass validation: fresh detections and their re-sent copies. */
  valid: number;
  /** Distinct valid detections: what the counters must add up to. */
  distinct: number;
  /** Re-sent copies, conflicting or not. */
  duplicates: number;
  conflicts: number;
  invalid: number;
  /** Distinct detections whose location is not a known one. */
  unknownLocation: number;
  /** Distinct detections stamped hours in the past. */
  late: number;
}

export interface RankedItem {
  readonly item: string;
  readonly count: number;
}

export const DEFAULT_ITEM_NAMES: readonly string[] = [
  'car',
  'person',
  'bicycle',
  'bus',
  'truck',
  'motorcycle',
  'van',
  'dog',
  'scooter',
  'taxi',
  'tram',
  'pushchair',
  'wheelchair',
  'cat',
  'delivery robot',
  'skateboard',
  'umbrella',
  'backpack',
  'suitcase',
  'shopping trolley',
  'traffic cone',
  'ambulance',
  'fire engine',
  'police car',
  'cargo bike',
  'horse',
  'pigeon',
  'seagull',
  'street sweeper',
  'tractor',
  'Straßenbahn',
  'vélo cargo',
  '自転車',
  'Ποδήλατο',
  'e-bike 🚲',
  'fish & chips <van>',
  'recycling bin',
  'kite',
  'drone',
  'segway',
];

/** Oids of locations that Dataset B does not hold; far above any sample location. */
export const DEFAULT_UNKNOWN_LOCATION_OIDS: readonly string[] = ['4000000001', '4000000002'];

export const DEFAULT_GENERATOR_OPTIONS: Omit<GeneratorOptions, 'seed' | 'now'> = {
  locations: 50,
  unknownLocations: 0,
  unknownLocationOids: DEFAULT_UNKNOWN_LOCATION_OIDS,
  items: 40,
  skew: 1,
  duplicates: 0,
  conflicts: 0.2,
  late: 0,
  lateHours: 6,
  invalid: 0,
  camerasPerLocation: 4,
  largeIds: 0.1,
  duplicateMemory: 10_000,
};

const HOUR_MS = 3_600_000;
const TWO_POW_53 = 2n ** 53n;
const TWO_POW_52 = 2n ** 52n;
/** Odd, so multiplying by it is a bijection modulo 2^52. */
const ID_SCRAMBLE = 0x9e3779b97f4a7c15n;
const ID_BLOCK_SIZE = 1_000_000_000;
const FIRST_CAMERA_OID = 10_000;
const ON_TIME_JITTER_MS = 500;

/** A Weyl sequence passed through the MurmurHash3 finalizer: small, fast and good enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85ebca6b);
    mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
    mixed ^= mixed >>> 16;
    return (mixed >>> 0) / 4_294_967_296;
  };
}

/** Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent. */
function zipfSampler(n: number, exponent: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1) ** exponent;
    cumulative.push(total);
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) > target) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}

export function itemNames(items: number | readonly string[]): string[] {
  if (typeof items !== 'number') return [...items];
  const names = DEFAULT_ITEM_NAMES.slice(0, items);
  for (let n = names.length + 1; n <= items; n += 1) names.push(`item-${n}`);
  return names;
}

export function locationOids(locations: number | readonly string[]): string[] {
  if (typeof locations !== 'number') return [...locations];
  return Array.from({ length: locations }, (_, index) => String(index + 1));
}

/** Checks the options and names the first one that is out of range. */
export function checkGeneratorOptions(options: Omit<GeneratorOptions, 'now'>): string[] {
  const problems: string[] = [];
  const fraction = (name: keyof GeneratorOptions, value: number) => {
    if (!(value >= 0 && value <= 1)) problems.push(`${name} must be a fraction from 0 to 1, got ${value}`);
  };
  fraction('unknownLocations', options.unknownLocations);
  fraction('duplicates', options.duplicates);
  fraction('conflicts', options.conflicts);
  fraction('late', options.late);
  fraction('invalid', options.invalid);
  fraction('largeIds', options.largeIds);
  if (options.duplicates + options.invalid > 1) problems.push('duplicates + invalid must not exceed 1');
  if (locationOids(options.locations).length < 1) problems.push('locations must hold at least one location');
  if (itemNames(options.items).length < 1) problems.push('items must hold at least one item');
  if (options.unknownLocations > 0 && options.unknownLocationOids.length < 1) problems.push('unknownLocationOids must not be empty');
  if (!(options.skew >= 0 && options.skew <= 10)) problems.push(`skew must be from 0 to 10, got ${options.skew}`);
  if (!(Number.isInteger(options.camerasPerLocation) && options.camerasPerLocation >= 1))
    problems.push('camerasPerLocation must be a whole number >= 1');
  if (!(Number.isInteger(options.lateHours) && options.lateHours >= 1)) problems.push('lateHours must be a whole number >= 1');
  if (!(Number.isInteger(options.duplicateMemory) && options.duplicateMemory >= 1))
    problems.push('duplicateMemory must be a whole number >= 1');
  if (!Number.isInteger(options.seed)) problems.push(`seed must be an integer, got ${options.seed}`);
  return problems;
}

/** A detection as first sent: what its copies repeat. */
interface Original {
  readonly body: Record<string, unknown>;
  readonly locationOid: string;
  readonly itemName: string;
}

export class DetectionGenerator {
  readonly truth = new Truth();
  private readonly options: GeneratorOptions;
  private readonly random: () => number;
  private readonly pickLocation: () => number;
  private readonly pickItem: () => number;
  private readonly locations: string[];
  private readonly items: string[];
  private readonly knownLocations: ReadonlySet<string>;
  private readonly recent: Original[] = [];
  private recentNext = 0;
  private sequence = 0;
  private readonly idBlock: number;

  constructor(options: Partial<GeneratorOptions> & Pick<GeneratorOptions, 'seed' | 'now'>) {
    this.options = { ...DEFAULT_GENERATOR_OPTIONS, ...options };
    const problems = checkGeneratorOptions(this.options);
    if (problems.length > 0) throw new RangeError(`generator options: ${problems.join('; ')}`);
    this.random = seededRandom(this.options.seed);
    this.locations = locationOids(this.options.locations);
    this.items = itemNames(this.options.items);
    this.knownLocations = new Set(this.locations);
    this.pickLocation = zipfSampler(this.locations.length, this.options.skew, this.random);
    this.pickItem = zipfSampler(this.items.length, this.options.skew, this.random);
    this.idBlock = this.options.idBlock ?? Math.abs(this.options.seed) % 1_000_000;
  }

  next(): GeneratedEvent {
    const roll = this.random();
    if (roll < this.options.invalid) return this.invalidEvent();
    if (roll < this.options.invalid + this.options.duplicates && this.recent.length > 0) return this.copyOfEarlier();
    return this.freshDetection();
  }

  batch(size: number): GeneratedEvent[] {
    const events: GeneratedEvent[] = [];
    for (let i = 0; i < size; i += 1) events.push(this.next());
    return events;
  }

  private freshDetection(): GeneratedEvent {
    const unknown = this.options.unknownLocations > 0 && this.random() < this.options.unknownLocations;
    const locationIndex = unknown ? this.locations.length + this.randomIndex(this.options.unknownLocationOids.length) : this.pickLocation();
    const locationOid = unknown
      ? (this.options.unknownLocationOids[locationIndex - this.locations.length] as string)
      : (this.locations[locationIndex] as string);
    const itemName = this.items[(this.pickItem() + locationIndex * 7) % this.items.length] as string;
    const late = this.options.late > 0 && this.random() < this.options.late;
    const now = this.options.now();
    const timestamp = late
      ? now - HOUR_MS - Math.floor(this.random() * (this.options.lateHours - 1) * HOUR_MS)
      : now - Math.floor(this.random() * ON_TIME_JITTER_MS);
    const body: Record<string, unknown> = {
      geographical_location_oid: asJsonId(locationOid),
      video_camera_oid: this.cameraOf(locationIndex),
      detection_oid: this.nextDetectionOid(this.random() < this.options.largeIds),
      item_name: itemName,
      timestamp_detected: timestamp,
    };
    this.remember({ body, locationOid, itemName });
    this.truth.record({
      detectionOid: String(body['detection_oid']),
      locationOid,
      itemName,
      timestampMs: timestamp,
      knownLocation: this.knownLocations.has(locationOid),
      late,
    });
    return { kind: 'fresh', body, partitionKey: String(body['video_camera_oid']) };
  }

  private copyOfEarlier(): GeneratedEvent {
    const original = this.recent[this.randomIndex(this.recent.length)] as Original;
    const conflict = this.random() < this.options.conflicts;
    const body = { ...original.body };
    if (conflict) {
      const changeLocation = this.locations.length > 1 && (this.items.length < 2 || this.random() < 0.5);
      if (changeLocation) {
        const others = this.locations.filter((oid) => oid !== original.locationOid);
        body['geographical_location_oid'] = asJsonId(others[this.randomIndex(others.length)] as string);
      } else if (this.items.length > 1) {
        const others = this.items.filter((name) => name !== original.itemName);
        body['item_name'] = others[this.randomIndex(others.length)];
      }
    } else if (typeof body['detection_oid'] === 'number' && this.random() < 0.2) {
      // The same id written as a string is still the same detection.
      body['detection_oid'] = String(body['detection_oid']);
    }
    const differs =
      body['geographical_location_oid'] !== original.body['geographical_location_oid'] || body['item_name'] !== original.itemName;
    this.truth.recordCopy(differs);
    return { kind: differs ? 'conflict' : 'duplicate', body, partitionKey: String(body['video_camera_oid']) };
  }

  private invalidEvent(): GeneratedEvent {
    const base: Record<string, unknown> = {
      geographical_location_oid: asJsonId(this.locations[this.pickLocation()] as string),
      video_camera_oid: FIRST_CAMERA_OID,
      detection_oid: this.nextDetectionOid(false),
      item_name: this.items[this.pickItem()],
      timestamp_detected: this.options.now(),
    };
    const fields = Object.keys(base);
    let body: unknown = base;
    switch (this.randomIndex(11)) {
      case 0:
        delete base[fields[this.randomIndex(fields.length)] as string];
        break;
      case 1:
        base['detection_oid'] = (base['detection_oid'] as number) + 0.5;
        break;
      case 2:
        base['geographical_location_oid'] = 12.75;
        break;
      case 3:
        base['item_name'] = '';
        break;
      case 4:
        base['item_name'] = 'x'.repeat(257);
        break;
      case 5:
        base['item_name'] = null;
        break;
      case 6:
        base['timestamp_detected'] = new Date(this.options.now()).toISOString();
        break;
      case 7:
        base['timestamp_detected'] = (base['timestamp_detected'] as number) + 0.25;
        break;
      case 8:
        base['video_camera_oid'] = 'cam-7';
        break;
      case 9:
        base['detection_oid'] = '9223372036854775808';
        break;
      default:
        body = this.random() < 0.5 ? null : 'not an event';
    }
    this.truth.recordInvalid();
    const camera = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['video_camera_oid'] : undefined;
    return { kind: 'invalid', body, partitionKey: typeof camera === 'number' || typeof camera === 'string' ? String(camera) : undefined };
  }

  private cameraOf(locationIndex: number): number {
    return FIRST_CAMERA_OID + locationIndex * this.options.camerasPerLocation + this.randomIndex(this.options.camerasPerLocation);
  }

  private nextDetectionOid(large: boolean): number | string {
    this.sequence += 1;
    const ordered = BigInt(this.idBlock * ID_BLOCK_SIZE + this.sequence);
    const offset = this.options.idOrder === 'random' ? (ordered * ID_SCRAMBLE) % TWO_POW_52 : ordered;
    // Large ids sit past 2^53, where neighbouring ids collapse onto the same double.
    return large ? (TWO_POW_53 + offset).toString() : Number(offset);
  }

  private remember(original: Original): void {
    if (this.recent.length < this.options.duplicateMemory) {
      this.recent.push(original);
      return;
    }
    this.recent[this.recentNext] = original;
    this.recentNext = (this.recentNext + 1) % this.options.duplicateMemory;
  }

  private randomIndex(length: number): number {
    return Math.floor(this.random() * length);
  }
}

/** Location oids are small in the sample; written as JSON numbers when safe, like a bigint column would be. */
function asJsonId(oid: string): number | string {
  const value = Number(oid);
  return Number.isSafeInteger(value) && String(value) === oid ? value : oid;
}

interface FreshDetection {
  readonly detectionOid: string;
  readonly locationOid: string;
  readonly itemName: string;
  readonly timestampMs: number;
  readonly knownLocation: boolean;
  readonly late: boolean;
}

/**
 * What the pipeline must end up with. Counts only fresh detections: a copy never changes a count,
 * whatever it carries, because the first copy wins.
 */
export class Truth {
  readonly totals: TruthTotals = {
    emitted: 0,
    valid: 0,
    distinct: 0,
    duplicates: 0,
    conflicts: 0,
    invalid: 0,
    unknownLocation: 0,
    late: 0,
  };
  private readonly allTime = new Map<string, Map<string, number>>();
  private readonly byHour = new Map<string, Map<string, Map<string, number>>>();

  record(detection: FreshDetection): void {
    this.totals.emitted += 1;
    this.totals.valid += 1;
    this.totals.distinct += 1;
    if (!detection.knownLocation) this.totals.unknownLocation += 1;
    if (detection.late) this.totals.late += 1;
    bump(this.allTime, detection.locationOid, detection.itemName);
    const hour = utcHourOf(detection.timestampMs);
    let hourCounts = this.byHour.get(hour);
    if (!hourCounts) this.byHour.set(hour, (hourCounts = new Map<string, Map<string, number>>()));
    bump(hourCounts, detection.locationOid, detection.itemName);
  }

  recordCopy(conflict: boolean): void {
    this.totals.emitted += 1;
    this.totals.valid += 1;
    this.totals.duplicates += 1;
    if (conflict) this.totals.conflicts += 1;
  }

  recordInvalid(): void {
    this.totals.emitted += 1;
    this.totals.invalid += 1;
  }

  /** Locations with at least one detection, in numeric oid order. */
  locations(): string[] {
    return [...this.allTime.keys()].sort(compareDecimal);
  }

  /** UTC hours (like 2026-11-22T10) with at least one detection, oldest first. */
  hours(): string[] {
    return [...this.byHour.keys()].sort();
  }

  /** Item counts of a location over all time, or summed over the given UTC hours. */
  counts(locationOid: string, hours?: readonly string[]): Map<string, number> {
    if (hours === undefined) return new Map(this.allTime.get(locationOid));
    const sum = new Map<string, number>();
    for (const hour of hours) {
      for (const [item, count] of this.byHour.get(hour)?.get(locationOid) ?? []) sum.set(item, (sum.get(item) ?? 0) + count);
    }
    return sum;
  }

  /** Count descending, ties by item name in code-point order, as the spec ranks them. */
  top(locationOid: string, top: number, hours?: readonly string[]): RankedItem[] {
    return [...this.counts(locationOid, hours)]
      .map(([item, count]) => ({ item, count }))
      .sort((a, b) => b.count - a.count || compareByCodePoint(a.item, b.item))
      .slice(0, top);
  }

  /** Distinct detections of one location (all-time), or of every location. */
  total(locationOid?: string): number {
    const locations = locationOid === undefined ? [...this.allTime.keys()] : [locationOid];
    let sum = 0;
    for (const location of locations) for (const count of this.allTime.get(location)?.values() ?? []) sum += count;
    return sum;
  }
}

function bump(counts: Map<string, Map<string, number>>, locationOid: string, itemName: string): void {
  let items = counts.get(locationOid);
  if (!items) counts.set(locationOid, (items = new Map<string, number>()));
  items.set(itemName, (items.get(itemName) ?? 0) + 1);
}

export function utcHourOf(timestampMs: number): string {
  return new Date(timestampMs).toISOString().slice(0, 13);
}

function compareByCodePoint(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0) as number);
  const right = Array.from(b, (char) => char.codePointAt(0) as number);
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    if (left[i] !== right[i]) return (left[i] as number) - (right[i] as number);
  }
  return left.length - right.length;
}

function compareDecimal(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
