import {
  type CapacityInputs,
  type CapacityResult,
  computeCapacity,
  DEFAULT_INPUTS,
  DEFAULT_PRICES,
  DEFAULT_RU_ASSUMPTIONS,
  documentedRu,
  expectedDistinct,
  inputsFromArgs,
  main,
  parsePriceOverrides,
  zipf,
} from '../../tools/capacity';
import { UsageError } from '../../tools/lib/cli';

function figure(result: CapacityResult, name: string): number {
  for (const section of result.sections) {
    const found = section.figures.find((candidate) => candidate.name === name);
    if (found) return found.value;
  }
  throw new Error(`no figure named ${name}`);
}

const at = (overrides: Partial<CapacityInputs>): CapacityResult => computeCapacity({ ...DEFAULT_INPUTS, ...overrides });
const withoutTtlDeletes = { ru: { ...DEFAULT_RU_ASSUMPTIONS, provisionTtlDeletes: false } };

function container(result: CapacityResult, name: string): CapacityResult['containers'][number] {
  const found = result.containers.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no container named ${name}`);
  return found;
}

describe('documented RU per operation', () => {
  it('uses the 1 KB figures for small items and interpolates between table rows', () => {
    expect(documentedRu('write', 0.4)).toBe(4.95);
    expect(documentedRu('read', 0.4)).toBe(1);
    expect(documentedRu('write', 3)).toBeCloseTo((6.29 + 6.67) / 2, 6);
    expect(documentedRu('read', 16)).toBeCloseTo(1.67, 6);
  });
});

describe('distributions', () => {
  it('zipf sums to one, is uniform at exponent 0 and favours rank 1 at exponent 1', () => {
    const uniform = zipf(4, 0);
    expect(uniform).toEqual([0.25, 0.25, 0.25, 0.25]);
    const skewed = zipf(100, 1);
    expect(skewed.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 9);
    expect(skewed[0]).toBeCloseTo(1 / 5.187377517639621, 6);
    expect(skewed[0]! / skewed[1]!).toBeCloseTo(2, 9);
  });

  it('expects the distinct categories of n draws', () => {
    expect(expectedDistinct(zipf(100, 0), 100)).toBeCloseTo(100 * (1 - 0.99 ** 100), 6);
    expect(expectedDistinct(zipf(100, 0), 1e6)).toBeCloseTo(100, 6);
    expect(expectedDistinct(zipf(100, 0), 1)).toBeCloseTo(1, 9);
  });
});

describe('computeCapacity at 10,000 events/s', () => {
  const result = computeCapacity(DEFAULT_INPUTS);

  it('splits the load into stored detections and duplicates', () => {
    expect(figure(result, 'stored detections')).toBeCloseTo(9500, 6);
    expect(figure(result, 'duplicates')).toBeCloseTo(500, 6);
  });

  it('sizes Event Hubs by events when each detection is its own event, by bytes when packed', () => {
    expect(result.totals.throughputUnits).toBe(10);
    expect(result.totals.partitions).toBe(16);
    const packed = at({ eventsPerMessage: 50 });
    // 200 events/s of 50 × 180 B + 51 separator bytes = 1.81 MB/s: two TUs.
    expect(figure(packed, 'ingress')).toBeCloseTo((200 * (50 * 180 + 51)) / 1e6, 9);
    expect(packed.totals.throughputUnits).toBe(2);
  });

  it('charges the dedup container for creates, duplicates, the change feed and TTL deletes', () => {
    expect(figure(result, 'dedup create')).toBe(4.95);
    expect(figure(result, 'duplicate')).toBe(DEFAULT_RU_ASSUMPTIONS.conflictRu + 1);
    expect(figure(result, 'dedup: creates')).toBeCloseTo(9500 * 4.95, 6);
    expect(figure(result, 'dedup: duplicates')).toBeCloseTo(500 * 3, 6);
    expect(figure(result, 'dedup: change feed')).toBeCloseTo(9500, 6);
    expect(figure(result, 'dedup: TTL deletes')).toBeCloseTo(9500 * 4.95, 6);
    expect(figure(result, 'dedup container')).toBeCloseTo(9500 * 4.95 * 2 + 1500 + 9500, 6);
    const withoutTtl = at(withoutTtlDeletes);
    expect(figure(withoutTtl, 'dedup container')).toBeCloseTo(9500 * 4.95 + 1500 + 9500, 6);
  });

  it('leaves room in the autoscale max for TTL deletes it does not count: they run in left-over RU/s', () => {
    const withoutTtl = at(withoutTtlDeletes);
    expect(withoutTtl.totals.ttlDeleteRuPerSecond).toBe(0);
    const dedup = container(withoutTtl, 'dedup');
    expect(dedup.autoscaleMaxRu).toBeGreaterThanOrEqual(dedup.ruPerSecond + 9500 * 4.95);
    expect(dedup.autoscaleMaxRu).toBeLessThan(container(result, 'dedup').autoscaleMaxRu);
  });

  it('rounds each autoscale max up to a multiple of 1,000 above need × headroom', () => {
    for (const container of result.containers) {
      expect(container.autoscaleMaxRu % 1000).toBe(0);
      expect(container.autoscaleMaxRu).toBeGreaterThanOrEqual(Math.max(1000, container.ruPerSecond * DEFAULT_INPUTS.headroom));
      expect(container.autoscaleMaxRu).toBeLessThan(Math.max(1000, container.ruPerSecond * DEFAULT_INPUTS.headroom) + 1000);
    }
  });

  it('derives the dedup leases from the dedup container physical partitions', () => {
    expect(figure(result, 'dedup leases')).toBe(Math.ceil(container(result, 'dedup').autoscaleMaxRu / 10_000));
    expect(figure(result, 'partitions per lease')).toBe(64 / figure(result, 'dedup leases'));
  });

  it('lists the tallies container with the others, within one physical partition', () => {
    expect(result.containers.map((entry) => entry.name)).toEqual(['dedup', 'tallies', 'topitems', 'leases']);
    expect(container(result, 'tallies').autoscaleMaxRu).toBeLessThanOrEqual(10_000);
    expect(figure(result, 'tallies storage')).toBeLessThan(50);
    expect(figure(result, 'tallies leases')).toBe(1);
    expect(result.totals.ruPerSecond).toBeCloseTo(
      result.containers.reduce((sum, entry) => sum + entry.ruPerSecond, 0),
      6,
    );
  });

  it('keeps dedup records for the TTL from first storage', () => {
    expect(figure(result, 'dedup records at the TTL')).toBeCloseTo(9500 * 86_400, 0);
    expect(figure(at({ ttlHours: 1 }), 'dedup records at the TTL')).toBeCloseTo(9500 * 3600, 0);
  });

  it('prices capture per throughput unit and hour', () => {
    expect(figure(result, 'Event Hubs Capture')).toBeCloseTo(10 * 730 * DEFAULT_PRICES.eventHubsCaptureTuHour, 6);
  });
});

describe('two-stage aggregation', () => {
  const base = computeCapacity(DEFAULT_INPUTS);

  it('writes one tally per dedup partition present in each tally batch', () => {
    expect(figure(base, 'tally batch')).toBeCloseTo(9500 / 16, 6);
    expect(figure(base, 'tally batches')).toBeCloseTo(16, 6);
    expect(figure(base, 'partitions per tally batch')).toBeCloseTo(4, 6);
    expect(figure(base, 'tallies')).toBeCloseTo(64, 6);
    // Fewer changes than partitions per lease: not every partition is present in a batch.
    const slow = at({ eventsPerSecond: 100 });
    expect(figure(slow, 'dedup leases')).toBe(1);
    const batch = figure(slow, 'tally batch');
    expect(figure(slow, 'partitions per tally batch')).toBeCloseTo(64 * (1 - (63 / 64) ** batch), 6);
    expect(figure(slow, 'partitions per tally batch')).toBeLessThan(64);
  });

  it('scales tallies per second with leases × partitions per lease × cycles', () => {
    const check = (result: CapacityResult) =>
      expect(figure(result, 'tallies')).toBeCloseTo(
        figure(result, 'dedup leases') *
          (figure(result, 'tally batches') / figure(result, 'dedup leases')) *
          figure(result, 'partitions per tally batch'),
        6,
      );
    check(base);
    const morePartitions = at({ dedupPartitions: 128 });
    check(morePartitions);
    expect(figure(morePartitions, 'tallies')).toBeCloseTo(2 * figure(base, 'tallies'), 3);
    const slowerCycle = at({ feedCycleSeconds: 1.5 });
    check(slowerCycle);
    expect(figure(slowerCycle, 'tallies')).toBeCloseTo(figure(base, 'tallies') / 1.5, 3);
  });

  it('caps tally batches at maxItemsPerInvocation', () => {
    const small = at({ feedBatchSize: 100 });
    expect(figure(small, 'tally batch')).toBe(100);
    expect(figure(small, 'tally batches')).toBeCloseTo(95, 6);
    expect(figure(small, 'tallies')).toBeGreaterThan(5 * figure(base, 'tallies'));
    expect(figure(small, 'counter commits')).toBeGreaterThan(2 * figure(base, 'counter commits'));
  });

  it('commits counters at a rate independent of the number of dedup leases', () => {
    // A higher dedup max means more physical partitions, so more dedup leases.
    const moreLeases = at({ headroom: 3 });
    expect(figure(moreLeases, 'dedup leases')).toBe(2 * figure(base, 'dedup leases'));
    expect(figure(moreLeases, 'tallies')).toBeCloseTo(figure(base, 'tallies'), 6);
    expect(figure(moreLeases, 'counter commits')).toBeCloseTo(figure(base, 'counter commits'), 6);
    expect(figure(moreLeases, 'topitems: counter commits')).toBeCloseTo(figure(base, 'topitems: counter commits'), 6);
  });

  it('folds all detections of a cycle in one aggregate batch, with one writer and no etag races', () => {
    expect(figure(base, 'aggregate batch')).toBeCloseTo(64, 6);
    expect(figure(base, 'aggregate batches')).toBeCloseTo(1, 6);
    expect(figure(base, 'counter commits')).toBeCloseTo(figure(base, 'commits per batch'), 6);
    expect(figure(base, 'etag retries')).toBe(0);
    // Far below the ~17 RU per stored detection of folding the dedup feed directly with 16 leases.
    expect(figure(base, 'aggregation per stored detection')).toBeLessThan(3);
    expect(figure(base, 'topitems: counter commits')).toBeLessThan(164_000 / 5);
  });

  it('touches at most every (location, window) pair once per aggregate batch', () => {
    const huge = at({ feedBatchSize: 1e9, feedCycleSeconds: 1e6, lateRate: 0 });
    expect(figure(huge, 'commits per batch')).toBeCloseTo(2 * DEFAULT_INPUTS.locations, 3);
  });

  it('sizes a tally from its expected distinct (location, hour, item) entries', () => {
    const entriesAt = (result: CapacityResult) => figure(result, 'tally document');
    expect(entriesAt(base)).toBeGreaterThan(1024);
    expect(entriesAt(base)).toBeLessThan(16 * 1024);
    expect(figure(base, 'tally create')).toBeCloseTo(documentedRu('write', entriesAt(base) / 1024), 6);
    // Fuller tallies hold more entries, but fewer bytes per detection.
    const fuller = at({ feedCycleSeconds: 5 });
    expect(entriesAt(fuller)).toBeGreaterThan(entriesAt(base));
    expect(entriesAt(fuller) / (figure(fuller, 'tally batch') / figure(fuller, 'partitions per tally batch'))).toBeLessThan(
      entriesAt(base) / (figure(base, 'tally batch') / figure(base, 'partitions per tally batch')),
    );
  });

  it('charges the tallies container for appends (tally and cursor), its change feed and TTL deletes', () => {
    const tallies = figure(base, 'tallies');
    expect(figure(base, 'tallies: appends')).toBeCloseTo(tallies * (figure(base, 'tally create') + figure(base, 'tally cursor move')), 6);
    expect(figure(base, 'tallies: change feed')).toBeCloseTo(tallies * figure(base, 'tally feed read'), 6);
    expect(figure(base, 'tallies: TTL deletes')).toBeCloseTo(tallies * figure(base, 'tally create'), 6);
    expect(figure(at(withoutTtlDeletes), 'tallies: TTL deletes')).toBe(0);
    expect(figure(at({ talliesTtlHours: 6 }), 'tallies storage')).toBeCloseTo(figure(base, 'tallies storage') / 2, 6);
  });

  it('checkpoints both triggers in the leases container', () => {
    const leaseRu = figure(base, 'lease checkpoint');
    const renewals = (figure(base, 'dedup leases') + figure(base, 'tallies leases')) / 17;
    expect(figure(base, 'leases container')).toBeCloseTo(
      (figure(base, 'tally batches') + figure(base, 'aggregate batches') + renewals) * leaseRu,
      6,
    );
  });

  it('warns, and models the etag races, when the tallies need more than one physical partition', () => {
    const split = at({ talliesTtlHours: 48 });
    expect(figure(split, 'tallies storage')).toBeGreaterThan(50);
    expect(figure(split, 'tallies leases')).toBeGreaterThan(1);
    expect(figure(split, 'etag retries')).toBeGreaterThan(0);
    expect(figure(split, 'counter commits')).toBeGreaterThan(figure(base, 'counter commits'));
    expect(split.warnings.some((warning) => warning.includes('tallies container needs'))).toBe(true);
    expect(base.warnings).toEqual([]);
  });

  it('costs less without flat row documents, and with longer feed cycles', () => {
    const noRows = at({ flatRows: false });
    expect(figure(noRows, 'topitems: counter commits')).toBeLessThan(figure(base, 'topitems: counter commits') / 3);
    expect(figure(noRows, 'dedup container')).toBe(figure(base, 'dedup container'));
    const slower = at({ feedCycleSeconds: 5 });
    expect(figure(slower, 'counter commits')).toBeLessThan(figure(base, 'counter commits') / 2);
    expect(figure(slower, 'delay to the counters')).toBe(10);
    expect(figure(base, 'delay to the counters')).toBe(2);
  });
});

describe('compared with the public reference deployment (100,000 RU/s for 10,000 events/s)', () => {
  it('needs less than the reference at 10,000 events/s when TTL deletes run in left-over RU/s', () => {
    const result = at(withoutTtlDeletes);
    expect(result.totals.ttlDeleteRuPerSecond).toBe(0);
    expect(result.totals.ruPerSecond).toBeLessThan(100_000);
    expect(result.totals.ruPerEvent).toBeLessThan(10);
    expect(figure(result, 'reference deployment')).toBe(100_000);
    const leaner = at({ ...withoutTtlDeletes, flatRows: false });
    expect(leaner.totals.ruPerSecond).toBeLessThan(70_000);
  });

  it('says how much of the total TTL deletes are when they are counted', () => {
    const result = computeCapacity(DEFAULT_INPUTS);
    expect(result.totals.ttlDeleteRuPerSecond).toBeCloseTo(
      figure(result, 'dedup: TTL deletes') + figure(result, 'tallies: TTL deletes'),
      6,
    );
    expect(result.totals.ttlDeleteRuPerSecond).toBeGreaterThan(9500 * 4.95);
  });
});

describe('limits', () => {
  it('warns when a dedup logical partition would pass 20 GB or 10,000 RU/s', () => {
    const result = at({ eventsPerSecond: 100_000 });
    expect(result.warnings.some((warning) => warning.includes('20 GB'))).toBe(true);
    expect(result.warnings.some((warning) => warning.includes('RU/s a partition serves'))).toBe(true);
    expect(at({ eventsPerSecond: 100_000, dedupPartitions: 1024 }).warnings.some((warning) => warning.includes('20 GB'))).toBe(false);
  });

  it('warns when ingest instances exceed the partitions', () => {
    expect(at({ partitions: 2 }).warnings.some((warning) => warning.includes('ingest instances'))).toBe(true);
    expect(computeCapacity(DEFAULT_INPUTS).warnings).toEqual([]);
  });
});

describe('command line', () => {
  it('reads options and price overrides', () => {
    const { inputs } = inputsFromArgs([
      '--events-per-second',
      '2000',
      '--no-flat-rows',
      '--no-ttl-deletes',
      '--tallies-ttl-hours',
      '6',
      '--region-prices',
      'cosmosAutoscalePer100RuHour=0.02,region="West Europe"',
    ]);
    expect(inputs.eventsPerSecond).toBe(2000);
    expect(inputs.flatRows).toBe(false);
    expect(inputs.ru.provisionTtlDeletes).toBe(false);
    expect(inputs.talliesTtlHours).toBe(6);
    expect(inputs.prices.cosmosAutoscalePer100RuHour).toBe(0.02);
    expect(inputs.prices.region).toBe('West Europe');
    expect(inputs.prices.eventHubsTuHour).toBe(DEFAULT_PRICES.eventHubsTuHour);
  });

  it('reads price overrides from a JSON file and scales the cost with them', () => {
    const overrides = parsePriceOverrides('prices.json', () => JSON.stringify({ cosmosAutoscalePer100RuHour: 0.024 }));
    const doubled = at({ prices: { ...DEFAULT_PRICES, ...overrides } });
    const base = computeCapacity(DEFAULT_INPUTS);
    expect(figure(doubled, 'Cosmos DB throughput (autoscale)')).toBeCloseTo(2 * figure(base, 'Cosmos DB throughput (autoscale)'), 6);
  });

  it('refuses unknown prices and malformed values', () => {
    expect(() => parsePriceOverrides('nope=1')).toThrow(UsageError);
    expect(() => parsePriceOverrides('flexGbSecond=cheap')).toThrow(/flexGbSecond must be a number/);
    expect(() => inputsFromArgs(['--duplicate-rate', '1.5'])).toThrow(/fraction/);
    // One writer per counter is what the code does now, not a lever.
    expect(() => inputsFromArgs(['--location-routed'])).toThrow(UsageError);
  });

  it('prints help and a report', () => {
    let help = '';
    expect(main(['--help'], (text) => (help += text))).toBe(0);
    expect(help).toContain('--events-per-second');
    expect(help).toContain('--region-prices');
    let report = '';
    expect(main(['--events-per-second', '10000'], (text) => (report += text))).toBe(0);
    expect(report).toContain('Recommended autoscale max RU/s');
    expect(report).toContain('throughput units');
    expect(report).toMatch(/tallies\s+3,000 RU\/s/);
    let json = '';
    main(['--json'], (text) => (json += text));
    expect((JSON.parse(json) as CapacityResult).totals.throughputUnits).toBe(10);
  });

  it('exits 2 on a usage error', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(main(['--bogus'], () => undefined)).toBe(2);
    } finally {
      write.mockRestore();
    }
  });
});
