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
    const withoutTtl = at({ ru: { ...DEFAULT_RU_ASSUMPTIONS, provisionTtlDeletes: false } });
    expect(figure(withoutTtl, 'dedup container')).toBeCloseTo(9500 * 4.95 + 1500 + 9500, 6);
  });

  it('rounds each autoscale max up to a multiple of 1,000 above need × headroom', () => {
    for (const container of result.containers) {
      expect(container.autoscaleMaxRu % 1000).toBe(0);
      expect(container.autoscaleMaxRu).toBeGreaterThanOrEqual(Math.max(1000, container.ruPerSecond * DEFAULT_INPUTS.headroom));
      expect(container.autoscaleMaxRu).toBeLessThan(Math.max(1000, container.ruPerSecond * DEFAULT_INPUTS.headroom) + 1000);
    }
  });

  it('derives leases from the dedup container physical partitions', () => {
    const dedupMax = result.containers.find((container) => container.name === 'dedup')!.autoscaleMaxRu;
    expect(figure(result, 'leases')).toBe(Math.ceil(dedupMax / 10_000));
  });

  it('keeps dedup records for the TTL from first storage', () => {
    expect(figure(result, 'dedup records at the TTL')).toBeCloseTo(9500 * 86_400, 0);
    expect(figure(at({ ttlHours: 1 }), 'dedup records at the TTL')).toBeCloseTo(9500 * 3600, 0);
  });

  it('prices capture per throughput unit and hour', () => {
    expect(figure(result, 'Event Hubs Capture')).toBeCloseTo(10 * 730 * DEFAULT_PRICES.eventHubsCaptureTuHour, 6);
  });
});

describe('aggregation levers', () => {
  const base = computeCapacity(DEFAULT_INPUTS);

  it('amortizes commits over bigger change-feed batches', () => {
    const small = at({ feedBatchSize: 100 });
    expect(figure(small, 'change-feed batch')).toBe(100);
    expect(figure(small, 'aggregation per stored detection')).toBeGreaterThan(1.5 * figure(base, 'aggregation per stored detection'));
  });

  it('costs less without flat row documents', () => {
    const noRows = at({ flatRows: false });
    expect(figure(noRows, 'topitems: counter commits')).toBeLessThan(figure(base, 'topitems: counter commits') / 2);
    expect(figure(noRows, 'dedup container')).toBe(figure(base, 'dedup container'));
  });

  it('removes etag retries when each counter has one writer', () => {
    expect(figure(base, 'etag retries')).toBeGreaterThan(0);
    const routed = at({ locationRouted: true });
    expect(figure(routed, 'etag retries')).toBe(0);
    expect(figure(routed, 'aggregation per stored detection')).toBeLessThan(figure(base, 'aggregation per stored detection') / 4);
  });

  it('touches at most every (location, window) pair once per batch', () => {
    const huge = at({ feedBatchSize: 1e9, feedCycleSeconds: 1e6, lateRate: 0 });
    expect(figure(huge, 'commits per batch')).toBeCloseTo(2 * DEFAULT_INPUTS.locations, 3);
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
      '--region-prices',
      'cosmosAutoscalePer100RuHour=0.02,region="West Europe"',
    ]);
    expect(inputs.eventsPerSecond).toBe(2000);
    expect(inputs.flatRows).toBe(false);
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
