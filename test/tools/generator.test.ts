import { validateEvent } from '../../shared/domain/detection';
import { parseEventRows } from '../../shared/domain/json';
import { DetectionGenerator, type GeneratedEvent, type GeneratorOptions, seededRandom, utcHourOf } from '../../tools/lib/generator';

const START = Date.UTC(2026, 10, 22, 10, 30);

/** A clock that moves 7 ms per reading, so hours and late events are spread but fully repeatable. */
function steppingClock(start = START, stepMs = 7): () => number {
  let now = start;
  return () => (now += stepMs);
}

function generate(
  options: Partial<GeneratorOptions> & { seed: number },
  count: number,
): { generator: DetectionGenerator; events: GeneratedEvent[] } {
  const generator = new DetectionGenerator({ now: steppingClock(), ...options });
  return { generator, events: generator.batch(count) };
}

/**
 * An independent recount: the events go through JSON text and the lossless parser as a server would
 * read them, each is validated, and the first copy of each detection oid wins.
 */
function recount(events: readonly GeneratedEvent[]) {
  const rows = parseEventRows(JSON.stringify(events.map((event) => event.body)));
  const firstCopy = new Map<string, { location: string; item: string; hour: string }>();
  const allTime = new Map<string, number>();
  const byHour = new Map<string, number>();
  let invalid = 0;
  let duplicates = 0;
  let conflicts = 0;
  for (const row of rows) {
    const result = validateEvent('value' in row ? row.value : undefined);
    if (!result.ok) {
      invalid += 1;
      continue;
    }
    const { detectionOid, locationOid, itemName, timestampMs } = result.detection;
    const first = firstCopy.get(detectionOid);
    if (first) {
      duplicates += 1;
      if (first.location !== locationOid || first.item !== itemName) conflicts += 1;
      continue;
    }
    const hour = new Date(timestampMs).toISOString().slice(0, 13);
    firstCopy.set(detectionOid, { location: locationOid, item: itemName, hour });
    allTime.set(`${locationOid}|${itemName}`, (allTime.get(`${locationOid}|${itemName}`) ?? 0) + 1);
    byHour.set(`${hour}|${locationOid}|${itemName}`, (byHour.get(`${hour}|${locationOid}|${itemName}`) ?? 0) + 1);
  }
  return { distinct: firstCopy.size, invalid, duplicates, conflicts, allTime, byHour, detectionOids: [...firstCopy.keys()] };
}

/** The event as a server reads it back from JSON text. */
function readBack(body: unknown): unknown {
  const [row] = parseEventRows(JSON.stringify([body]));
  return row && 'value' in row ? row.value : undefined;
}

describe('seededRandom', () => {
  it('repeats for a seed, differs across seeds and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(first);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('DetectionGenerator', () => {
  const mixed = { duplicates: 0.1, late: 0.05, invalid: 0.02, unknownLocations: 0.03, largeIds: 0.2 };

  it('gives the same events for the same seed and clock, different ones for another seed', () => {
    const one = generate({ seed: 7, ...mixed }, 2000).events;
    const two = generate({ seed: 7, ...mixed }, 2000).events;
    const other = generate({ seed: 8, ...mixed }, 2000).events;
    expect(two).toEqual(one);
    expect(other).not.toEqual(one);
  });

  it('keeps a truth that matches an independent recount of what it emitted', () => {
    const { generator, events } = generate({ seed: 11, ...mixed, conflicts: 0.5, lateHours: 3 }, 20_000);
    const truth = generator.truth;
    const counted = recount(events);

    expect(truth.totals).toMatchObject({
      emitted: events.length,
      distinct: counted.distinct,
      invalid: counted.invalid,
      duplicates: counted.duplicates,
      conflicts: counted.conflicts,
      valid: counted.distinct + counted.duplicates,
    });
    for (const location of truth.locations()) {
      for (const [item, count] of truth.counts(location)) expect(counted.allTime.get(`${location}|${item}`)).toBe(count);
    }
    let fromTruth = 0;
    for (const hour of truth.hours()) {
      for (const location of truth.locations()) {
        for (const [item, count] of truth.counts(location, [hour])) {
          expect(counted.byHour.get(`${hour}|${location}|${item}`)).toBe(count);
          fromTruth += 1;
        }
      }
    }
    expect(fromTruth).toBe(counted.byHour.size);
    expect(truth.total()).toBe(counted.distinct);
  });

  it('labels each event as the validator and a first-copy-wins dedup see it', () => {
    const { events } = generate({ seed: 5, ...mixed, conflicts: 0.5 }, 5000);
    const seen = new Map<string, { location: string; item: string }>();
    for (const event of events) {
      const result = validateEvent(readBack(event.body));
      if (event.kind === 'invalid') {
        expect(result.ok).toBe(false);
        continue;
      }
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      const { detectionOid, locationOid, itemName, cameraOid } = result.detection;
      expect(event.partitionKey).toBe(cameraOid);
      const first = seen.get(detectionOid);
      if (event.kind === 'fresh') {
        expect(first).toBeUndefined();
        seen.set(detectionOid, { location: locationOid, item: itemName });
      } else {
        expect(first).toBeDefined();
        expect(event.kind === 'conflict').toBe(first!.location !== locationOid || first!.item !== itemName);
      }
    }
  });

  it('honours the fractions over a large run', () => {
    const n = 100_000;
    const { generator } = generate({ seed: 99, duplicates: 0.05, invalid: 0.01, late: 0.02, unknownLocations: 0.04, conflicts: 0.25 }, n);
    const totals = generator.truth.totals;
    const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(expected * 0.1 + 30);
    near(totals.duplicates, 0.05 * n);
    near(totals.invalid, 0.01 * n);
    near(totals.conflicts, 0.25 * totals.duplicates);
    near(totals.late, 0.02 * totals.distinct);
    near(totals.unknownLocation, 0.04 * totals.distinct);
  });

  it('makes no duplicates, invalid or late events when their fractions are zero', () => {
    const { generator, events } = generate({ seed: 3, duplicates: 0, invalid: 0, late: 0, unknownLocations: 0 }, 3000);
    expect(events.every((event) => event.kind === 'fresh')).toBe(true);
    expect(generator.truth.totals).toMatchObject({ distinct: 3000, duplicates: 0, invalid: 0, late: 0, unknownLocation: 0 });
  });

  it('sends detection oids above 2^53 as exact decimal strings, distinct where doubles would collide', () => {
    const { events } = generate({ seed: 1, largeIds: 0.5, idBlock: 0 }, 2000);
    const large = events
      .map((event) => (event.body as { detection_oid: unknown }).detection_oid)
      .filter((oid): oid is string => typeof oid === 'string' && BigInt(oid) > 2n ** 53n);
    expect(large.length).toBeGreaterThan(800);
    expect(large.every((oid) => /^\d+$/.test(oid))).toBe(true);
    // Sequential oids past 2^53 share doubles pairwise, yet stay distinct as text.
    expect(new Set(large).size).toBe(large.length);
    expect(new Set(large.map(Number)).size).toBeLessThan(large.length);
    const counted = recount(events);
    for (const oid of large) expect(counted.detectionOids).toContain(oid);
  });

  it('scatters detection oids over the key space with random id order, keeping them distinct and exact', () => {
    const fresh = (idOrder: 'sequential' | 'random') =>
      generate({ seed: 3, largeIds: 0.3, idOrder }, 3000)
        .events.filter((event) => event.kind === 'fresh')
        .map((event) => BigInt(String((event.body as { detection_oid: unknown }).detection_oid)));
    const ascending = (oids: bigint[]) => oids.filter((oid, index) => index > 0 && oid > (oids[index - 1] as bigint)).length;
    const sequential = fresh('sequential').filter((oid) => oid < 2n ** 53n);
    const random = fresh('random');
    expect(ascending(sequential)).toBe(sequential.length - 1);
    // Scattered: about half the neighbours go up, and the oids spread over much of the 52-bit space.
    const small = random.filter((oid) => oid < 2n ** 53n);
    expect(ascending(small) / small.length).toBeGreaterThan(0.3);
    expect(ascending(small) / small.length).toBeLessThan(0.7);
    expect(small.reduce((max, oid) => (oid > max ? oid : max), 0n)).toBeGreaterThan(2n ** 50n);
    expect(new Set(random).size).toBe(random.length);
    expect(recount(generate({ seed: 3, largeIds: 0.3, idOrder: 'random' }, 3000).events).detectionOids.length).toBe(random.length);
  });

  it('stamps late detections one or more hours earlier, into their own hour', () => {
    const clock = () => START;
    const generator = new DetectionGenerator({ seed: 4, now: clock, late: 0.5, lateHours: 3 });
    const timestamps = generator.batch(1000).map((event) => (event.body as { timestamp_detected: number }).timestamp_detected);
    const late = timestamps.filter((ts) => ts <= START - 3_600_000);
    expect(late.length).toBe(generator.truth.totals.late);
    expect(late.every((ts) => ts >= START - 3 * 3_600_000)).toBe(true);
    expect(timestamps.filter((ts) => ts > START - 3_600_000).every((ts) => START - ts < 1000)).toBe(true);
    expect(generator.truth.hours()).toEqual(['2026-11-22T07', '2026-11-22T08', '2026-11-22T09', '2026-11-22T10']);
    expect(utcHourOf(START)).toBe('2026-11-22T10');
  });

  it('favours popular locations and items under skew, and spreads them evenly without it', () => {
    const popularity = (skew: number) => {
      const { generator } = generate({ seed: 21, skew, locations: 10, items: 10 }, 20_000);
      const perLocation = generator.truth.locations().map((oid) => generator.truth.total(oid));
      return Math.max(...perLocation) / Math.min(...perLocation);
    };
    expect(popularity(1)).toBeGreaterThan(5);
    expect(popularity(0)).toBeLessThan(1.3);
  });

  it('ranks the truth by count, then item name by code point', () => {
    const generator = new DetectionGenerator({
      seed: 2,
      now: () => START,
      locations: ['77'],
      items: ['b', 'a', '\u{1F697}', '\uFF5E'],
      skew: 0,
    });
    generator.batch(400);
    const top = generator.truth.top('77', 10);
    expect(top.reduce((sum, row) => sum + row.count, 0)).toBe(400);
    for (let i = 1; i < top.length; i += 1) {
      const [previous, current] = [top[i - 1]!, top[i]!];
      expect(previous.count).toBeGreaterThanOrEqual(current.count);
    }
    const tied = new DetectionGenerator({ seed: 2, now: () => START, locations: ['77'], items: ['\u{1F697}', '\uFF5E'] });
    // One detection each: a tie, broken by code point (U+FF5E before U+1F697), unlike UTF-16 order.
    tied.truth.record({
      detectionOid: '1',
      locationOid: '77',
      itemName: '\u{1F697}',
      timestampMs: START,
      knownLocation: true,
      late: false,
    });
    tied.truth.record({ detectionOid: '2', locationOid: '77', itemName: '\uFF5E', timestampMs: START, knownLocation: true, late: false });
    expect(tied.truth.top('77', 2).map((row) => row.item)).toEqual(['\uFF5E', '\u{1F697}']);
  });

  it('uses the given location oids and puts unknown locations outside them', () => {
    const { generator, events } = generate(
      { seed: 6, locations: ['9007199254740993', '5'], unknownLocations: 0.3, unknownLocationOids: ['123'] },
      2000,
    );
    const locations = new Set(
      events.map((event) => String((event.body as { geographical_location_oid: unknown }).geographical_location_oid)),
    );
    expect([...locations].sort()).toEqual(['123', '5', '9007199254740993']);
    expect(generator.truth.totals.unknownLocation).toBe(generator.truth.total('123'));
  });

  it('refuses options out of range, naming them', () => {
    expect(() => new DetectionGenerator({ seed: 1, now: () => START, duplicates: 1.5 })).toThrow(/duplicates/);
    expect(() => new DetectionGenerator({ seed: 1, now: () => START, duplicates: 0.6, invalid: 0.6 })).toThrow(/duplicates \+ invalid/);
    expect(() => new DetectionGenerator({ seed: 1, now: () => START, items: [] })).toThrow(/items/);
  });
});
