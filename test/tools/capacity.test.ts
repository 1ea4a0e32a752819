import path from 'node:path';
import { FEED_BATCH_MAX, FEED_CYCLE_SECONDS } from '../../shared/pipeline/pacing';
import {
  type CapacityInputs,
  type CapacityResult,
  computeCapacity,
  countersTouched,
  DEFAULT_INPUTS,
  DEFAULT_PRICES,
  DEFAULT_RU_ASSUMPTIONS,
  documentedRu,
  expectedDistinct,
  feedBatch,
  inputsFromArgs,
  kqlModelRows,
  main,
  parseMeasured,
  parsePriceOverrides,
  readMeasured,
  rowsChangedBy,
  TARGETS,
  zipf,
} from '../../tools/capacity';
import { UsageError } from '../../tools/lib/cli';

const FIXTURE = path.resolve(__dirname, '../fixtures/capacity/ru-by-operation.json');

function figure(result: CapacityResult, name: string): number {
  for (const section of result.sections) {
    const found = section.figures.find((candidate) => candidate.name === name);
    if (found) return found.value;
  }
  throw new Error(`no figure named ${name}`);
}

function basis(result: CapacityResult, name: string): string {
  for (const section of result.sections) {
    const found = section.figures.find((candidate) => candidate.name === name);
    if (found) return found.basis;
  }
  throw new Error(`no figure named ${name}`);
}

const at = (overrides: Partial<CapacityInputs>): CapacityResult => computeCapacity({ ...DEFAULT_INPUTS, ...overrides });
const countingTtlDeletes = { ru: { ...DEFAULT_RU_ASSUMPTIONS, provisionTtlDeletes: true } };

function container(result: CapacityResult, name: string): CapacityResult['containers'][number] {
  const found = result.containers.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no container named ${name}`);
  return found;
}

function operation(result: CapacityResult, name: string): CapacityResult['operations'][number] {
  const found = result.operations.find((candidate) => candidate.operation === name);
  if (!found) throw new Error(`no operation named ${name}`);
  return found;
}

const base = computeCapacity(DEFAULT_INPUTS);

describe('documented RU per operation and distributions', () => {
  it('uses the 1 KB figures for small items and interpolates between table rows', () => {
    expect(documentedRu('write', 0.4)).toBe(4.95);
    expect(documentedRu('read', 0.4)).toBe(1);
    expect(documentedRu('write', 3)).toBeCloseTo((6.29 + 6.67) / 2, 6);
    expect(documentedRu('read', 16)).toBeCloseTo(1.67, 6);
  });

  it('zipf sums to one and expectedDistinct counts categories hit', () => {
    expect(zipf(4, 0)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(zipf(100, 1).reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 9);
    expect(expectedDistinct(zipf(100, 0), 100)).toBeCloseTo(100 * (1 - 0.99 ** 100), 6);
    expect(expectedDistinct(zipf(100, 0), 1)).toBeCloseTo(1, 9);
  });
});

describe('no per-operation charge is cheaper than the documented figures it rests on', () => {
  // The figures of the model before the cost work; a lower one needs a cited source.
  const previous: Record<string, number> = {
    dedup_create: 4.95,
    dedup_conflict: 2,
    conflict_read: 1,
    dedup_change_feed: 1,
    dedup_ttl_delete: 4.95,
    counter_read: 1.1,
    counter_commit: 13.86,
    rows_write: 10.7,
    metrics: 12.3,
    lease_write: 11.1,
  };

  it.each(Object.entries(previous))('%s costs at least %d RU', (name, ru) => {
    expect(operation(base, name).ruPerRequest).toBeGreaterThanOrEqual(ru - 0.01);
  });

  it('keeps the tally append (a batch of a create and a replace, 2× an insert; a cursor read after a restart) at its documented parts', () => {
    const tallyKb = figure(base, 'tally document') / 1024;
    const cursorKb = 240 / 1024;
    const append = operation(base, 'tally_append');
    const tallies = figure(base, 'tallies');
    // One restart per hour empties the cursor cache of every dedup partition: 64 reads an hour.
    const cursorReads = 64 / 3600;
    expect(append.requestsPerSecond).toBeCloseTo(tallies + cursorReads, 6);
    expect(append.ruPerRequest * (tallies + cursorReads)).toBeCloseTo(
      tallies * (documentedRu('write', tallyKb) + 2 * documentedRu('write', cursorKb)) + cursorReads * documentedRu('read', cursorKb),
      6,
    );
  });

  it('charges a counter commit as a replace: twice the documented write of its size, plus index terms', () => {
    const counterKb = figure(base, 'counter document') / 1024;
    expect(operation(base, 'counter_commit').ruPerRequest).toBeCloseTo(2 * documentedRu('write', counterKb) + 2 * 0.2 * 2, 6);
  });
});

describe('Event Hubs: detections packed per camera into events of at most 64 KB', () => {
  it('packs a POST into one event per camera while a camera fits in 64 KB', () => {
    expect(figure(base, 'Event Hubs events')).toBeCloseTo(10 * 4, 6);
    expect(figure(base, 'ingress')).toBeCloseTo((10 * (1000 * 181 + 1 + 3)) / 1e6, 9);
    expect(base.totals.throughputUnits).toBe(2);
    expect(figure(base, 'billed ingress events')).toBeCloseTo(40, 6);
  });

  it('splits a camera over several events past 64 KB, never making an event larger', () => {
    const oneCamera = at({ camerasPerPost: 1 });
    // 1,000 detections of 181 B: 350 fit in the 63 KB the publisher packs, so three events.
    expect(figure(oneCamera, 'Event Hubs events')).toBeCloseTo(10 * 3, 6);
    expect(oneCamera.totals.throughputUnits).toBe(2);
    for (const result of [base, oneCamera, at({ camerasPerPost: 2, postBatchSize: 5000 })])
      expect(figure(result, 'ingress') / figure(result, 'Event Hubs events')).toBeLessThanOrEqual(65_536 / 1e6);
  });

  it('sizes by events when every camera has a few detections per POST, and says so', () => {
    const mixed = at({ camerasPerPost: 400 });
    expect(figure(mixed, 'Event Hubs events')).toBeCloseTo(4000, 6);
    expect(mixed.totals.throughputUnits).toBe(4);
    expect(basis(base, 'throughput units')).toMatch(/every camera mixed in each POST .*: [\d,]+ events\/s, 3 TU/);
  });

  it('gives partitions room for the ingest instances to catch up, and auto-inflate room above the TUs', () => {
    expect(base.totals.partitions).toBe(8);
    expect(base.bicep.autoInflateMaxThroughputUnits).toBe(3);
    expect(at({ partitions: 2 }).warnings.some((warning) => warning.includes('ingest instances'))).toBe(true);
  });
});

describe('dedup container', () => {
  it('charges creates, duplicates and the change feed, and shows TTL deletes apart by default', () => {
    expect(figure(base, 'dedup: creates')).toBeCloseTo(9500 * 4.95, 6);
    expect(figure(base, 'dedup: duplicates')).toBeCloseTo(500 * 3, 6);
    expect(figure(base, 'dedup: change feed')).toBeCloseTo(9500, 6);
    expect(figure(base, 'dedup: TTL deletes')).toBeCloseTo(9500 * 4.95, 6);
    expect(container(base, 'dedup').ruPerSecond).toBeCloseTo(9500 * 4.95 + 1500 + 9500, 6);
    expect(base.totals.ttlDeletesCounted).toBe(false);
    const counted = at(countingTtlDeletes);
    expect(container(counted, 'dedup').ruPerSecond).toBeCloseTo(9500 * 4.95 * 2 + 1500 + 9500, 6);
    expect(counted.totals.ttlDeleteRuPerSecond).toBeCloseTo(base.totals.ttlDeleteRuPerSecond, 6);
  });

  it('leaves room in every autoscale max for the TTL deletes it does not count', () => {
    for (const entry of base.containers)
      expect(entry.autoscaleMaxRu).toBeGreaterThanOrEqual(entry.ruPerSecond + entry.ttlDeleteRuPerSecond);
  });

  it('rounds each autoscale max up to a multiple of 1,000 above need × headroom', () => {
    for (const entry of base.containers) {
      expect(entry.autoscaleMaxRu % 1000).toBe(0);
      expect(entry.autoscaleMaxRu).toBeGreaterThanOrEqual(Math.max(1000, entry.ruPerSecond * DEFAULT_INPUTS.headroom));
    }
  });

  it('derives the dedup leases from the dedup container physical partitions', () => {
    expect(figure(base, 'dedup leases')).toBe(Math.ceil(container(base, 'dedup').autoscaleMaxRu / 10_000));
  });

  it('warns when a dedup logical partition would pass 20 GB or 10,000 RU/s', () => {
    const result = at({ eventsPerSecond: 100_000 });
    expect(result.warnings.some((warning) => warning.includes('20 GB'))).toBe(true);
    expect(result.warnings.some((warning) => warning.includes('RU/s a partition serves'))).toBe(true);
    expect(base.warnings).toEqual([]);
  });
});

describe('tally and aggregate stages', () => {
  it('writes one tally per dedup partition present in each tally batch, within one tallies partition', () => {
    expect(figure(base, 'tallies')).toBeCloseTo(
      figure(base, 'dedup leases') *
        (figure(base, 'tally batches') / figure(base, 'dedup leases')) *
        figure(base, 'partitions per tally batch'),
      6,
    );
    expect(container(base, 'tallies').autoscaleMaxRu).toBeLessThanOrEqual(10_000);
    expect(figure(base, 'tallies leases')).toBe(1);
  });

  it('commits each counter a batch changes once, with no read while the cache is warm', () => {
    expect(figure(base, 'counter commits')).toBeCloseTo(figure(base, 'commits per batch') * figure(base, 'aggregate batches'), 6);
    expect(figure(base, 'commits per batch')).toBeCloseTo(
      countersTouched(DEFAULT_INPUTS, (figure(base, 'aggregate batch') * 9500) / 64),
      0,
    );
    expect(figure(base, 'counter reads')).toBeLessThan(figure(base, 'counter commits') / 100);
    expect(figure(base, 'topitems: counter commits')).toBeCloseTo(operation(base, 'counter_commit').ruPerSecond, 6);
    expect(figure(base, 'etag retries')).toBe(0);
    expect(basis(base, 'counter reads')).toMatch(/a read before every commit would cost [\d,]+ RU\/s/);
  });

  it('skips the commits of counters a redelivered batch leaves unchanged', () => {
    expect(figure(base, 'unchanged counters skipped')).toBeCloseTo(
      figure(base, 'counter commits') * DEFAULT_RU_ASSUMPTIONS.redeliveredShare,
      6,
    );
  });

  it('commits counters at a rate independent of the number of dedup leases', () => {
    const moreLeases = at({ headroom: 3 });
    expect(figure(moreLeases, 'dedup leases')).toBeGreaterThan(figure(base, 'dedup leases'));
    expect(figure(moreLeases, 'counter commits')).toBeCloseTo(figure(base, 'counter commits'), 6);
  });

  it('models etag races, reads and a warning when the tallies need more than one physical partition', () => {
    const split = at({ talliesTtlHours: 48 });
    expect(figure(split, 'tallies leases')).toBeGreaterThan(1);
    expect(figure(split, 'etag retries')).toBeGreaterThan(0);
    expect(figure(split, 'counter reads')).toBeGreaterThan(figure(base, 'counter reads'));
    expect(split.warnings.some((warning) => warning.includes('tallies container needs'))).toBe(true);
  });

  it('sees the counters within a tally cycle and an aggregate cycle', () => {
    expect(base.totals.counterDelaySeconds).toBe(3);
    expect(at({ feedCycleSeconds: 1.5 }).totals.counterDelaySeconds).toBe(3.5);
    expect(at({ aggregateCycleSeconds: 1 }).totals.counterDelaySeconds).toBe(2);
  });
});

describe('change-feed pacing: the cycles the code holds', () => {
  it('takes its defaults from the constants the triggers pace by', () => {
    expect(DEFAULT_INPUTS.feedCycleSeconds).toBe(FEED_CYCLE_SECONDS.tally);
    expect(DEFAULT_INPUTS.aggregateCycleSeconds).toBe(FEED_CYCLE_SECONDS.aggregate);
    expect(DEFAULT_INPUTS.feedBatchSize).toBe(FEED_BATCH_MAX);
    expect(basis(base, 'tally batch')).toContain('pace the code holds');
    expect(basis(base, 'aggregate batch')).toContain(`${FEED_CYCLE_SECONDS.aggregate} s aggregate cycle`);
  });

  it('batches what a lease receives in one cycle, at most maxItemsPerInvocation: a backlog is not held', () => {
    expect(feedBatch(1000, 2, 64)).toBe(128);
    expect(feedBatch(1000, 2, 5000)).toBe(1000);
    expect(feedBatch(1000, 1, 0)).toBe(1);
    const perLease = 9500 / figure(base, 'dedup leases');
    expect(figure(base, 'tally batch')).toBeCloseTo(Math.min(FEED_BATCH_MAX, perLease * FEED_CYCLE_SECONDS.tally), 6);
    expect(figure(base, 'aggregate batch')).toBeCloseTo(figure(base, 'tallies') * FEED_CYCLE_SECONDS.aggregate, 6);
    expect(figure(base, 'aggregate batches')).toBeCloseTo(1 / FEED_CYCLE_SECONDS.aggregate, 6);
    expect(figure(at({ aggregateCycleSeconds: 60 }), 'aggregate batch')).toBe(FEED_BATCH_MAX);
  });

  it('commits fewer counters the longer the aggregate cycle, since a batch folds more detections per counter', () => {
    const everySecond = at({ aggregateCycleSeconds: 1 });
    expect(figure(everySecond, 'counter commits')).toBeGreaterThan(figure(base, 'counter commits'));
    expect(figure(everySecond, 'aggregate batches')).toBeCloseTo(1, 6);
    expect(operation(everySecond, 'lease_write').requestsPerSecond).toBeGreaterThan(operation(base, 'lease_write').requestsPerSecond);
  });
});

describe('commits riding with their rows at the cadence', () => {
  const due = countersTouched(DEFAULT_INPUTS, 9500 * 10);
  const perBatch = countersTouched(DEFAULT_INPUTS, 9500 * FEED_CYCLE_SECONDS.aggregate);

  it('records the commits of the batch at each cadence as rows_write, the other commits as counter_commit', () => {
    expect(perBatch).toBeLessThan(due);
    expect(operation(base, 'counter_commit').requestsPerSecond).toBeCloseTo(figure(base, 'counter commits') - perBatch / 10, 6);
    expect(operation(base, 'rows_write').requestsPerSecond).toBeCloseTo(due / 10, 6);
    expect(basis(base, 'row writes')).toContain(`${Math.round(perBatch)} of them committed with their rows`);
    expect(basis(base, 'row writes')).toContain(`${Math.round(due - perBatch)} written apart`);
  });

  it('pays the counter replace of a counter riding with its rows once', () => {
    const commitRu = operation(base, 'counter_commit').ruPerRequest;
    const rowsRu = operation(base, 'rows_write').ruPerSecond;
    const commitsRu = operation(base, 'counter_commit').ruPerSecond;
    expect(commitsRu + rowsRu).toBeCloseTo(
      (figure(base, 'counter commits') - perBatch / 10) * commitRu +
        (due / 10) * commitRu +
        figure(base, 'row writes') * figure(base, 'row upsert'),
      6,
    );
  });

  it('commits every counter as counter_commit without rows, and piggybacks at most the due counters', () => {
    const noRows = at({ flatRows: false });
    expect(operation(noRows, 'counter_commit').requestsPerSecond).toBeCloseTo(figure(noRows, 'counter commits'), 6);
    expect(operation(noRows, 'rows_write').requestsPerSecond).toBe(0);
    // A cadence is checked when a batch starts: a 1 s cadence falls due at every 2 s batch, which carries all its counters' rows.
    const fast = at({ rowsRefreshSeconds: 1 });
    expect(operation(fast, 'counter_commit').requestsPerSecond).toBeCloseTo(0, 6);
    expect(operation(fast, 'rows_write').requestsPerSecond).toBeCloseTo(figure(fast, 'counter commits'), 6);
    expect(figure(fast, 'delay to the rows')).toBe(3 + 2);
    // A 3 s cadence is reached at the second batch after the last refresh: every 4 s.
    const odd = at({ rowsRefreshSeconds: 3 });
    expect(operation(odd, 'rows_write').requestsPerSecond).toBeCloseTo(countersTouched(DEFAULT_INPUTS, 9500 * 4) / 4, 6);
    expect(operation(odd, 'counter_commit').requestsPerSecond).toBeCloseTo(figure(odd, 'counter commits') - perBatch / 4, 6);
  });
});

describe('Power BI rows on a cadence', () => {
  it('writes the rows changed in ROWS_REFRESH_SECONDS, fewer than rewriting them with every commit', () => {
    expect(figure(base, 'row writes')).toBeCloseTo(rowsChangedBy(DEFAULT_INPUTS, 9500 * 10) / 10, 6);
    expect(figure(base, 'row writes')).toBeLessThan(basisRowsPerCommit(base));
    // One transactional batch per counter changed in the cadence: its replace (rows marked written) and its changed rows.
    const dueCounters = countersTouched(DEFAULT_INPUTS, 9500 * 10);
    const rowsWrite = operation(base, 'rows_write');
    expect(rowsWrite.requestsPerSecond).toBeCloseTo(dueCounters / 10, 6);
    expect(rowsWrite.ruPerRequest).toBeCloseTo(
      operation(base, 'counter_commit').ruPerRequest +
        (rowsChangedBy(DEFAULT_INPUTS, 9500 * 10) / dueCounters) * figure(base, 'row upsert'),
      6,
    );
    expect(figure(base, 'topitems: rows')).toBeCloseTo(rowsWrite.ruPerSecond, 6);
  });

  it('writes fewer rows per second the longer the cadence, and at most every row of every counter', () => {
    const slow = at({ rowsRefreshSeconds: 60 });
    expect(figure(slow, 'row writes')).toBeLessThan(figure(base, 'row writes'));
    const rowsPerRefresh = rowsChangedBy(DEFAULT_INPUTS, 1e9);
    expect(rowsPerRefresh).toBeCloseTo(100 * (2 + 6) * 10, 0);
    expect(figure(slow, 'counter commits')).toBeCloseTo(figure(base, 'counter commits'), 6);
  });

  it('queries only in the timer, once a cadence at most, returning at most the counters of one aggregate cycle', () => {
    const read = operation(base, 'counter_read');
    const pointReads = figure(base, 'counter reads');
    const pointReadRu = documentedRu('read', figure(base, 'counter document') / 1024);
    expect(read.requestsPerSecond).toBeCloseTo(pointReads + 1 / 10, 6);
    const timerQueryRu = countersTouched(DEFAULT_INPUTS, 9500 * FEED_CYCLE_SECONDS.aggregate) * pointReadRu;
    expect(read.ruPerSecond).toBeCloseTo(pointReads * pointReadRu + 0.1 * timerQueryRu, 6);
    expect(read.basis).toContain('an upper bound');
    expect(operation(at({ flatRows: false }), 'counter_read').requestsPerSecond).toBeCloseTo(pointReads, 6);
  });

  it('adds the cadence to the rows delay, not to the counters', () => {
    expect(figure(base, 'delay to the rows')).toBe(13);
    expect(figure(at({ flatRows: false }), 'row writes')).toBe(0);
  });
});

function basisRowsPerCommit(result: CapacityResult): number {
  const match = /on every commit it would be ([\d,]+) rows\/s/.exec(basis(result, 'row writes'));
  if (!match) throw new Error('row writes basis lost its comparison');
  return Number((match[1] as string).replace(/,/g, ''));
}

describe('storage with hourly retention', () => {
  it('keeps hourly counters HOURLY_RETENTION_DAYS, all-time counters forever', () => {
    const year = at({ hourlyRetentionDays: 360 });
    expect(figure(year, 'topitems storage')).toBeGreaterThan(3.9 * figure(base, 'topitems storage'));
    expect(basis(base, 'topitems storage')).toContain('216,000 hourly counters kept 90 days');
  });
});

describe('totals, targets and the reference deployment', () => {
  it('adds the containers up, and the operations up to the same total', () => {
    expect(base.totals.ruPerSecond).toBeCloseTo(
      base.containers.reduce((sum, entry) => sum + entry.ruPerSecond, 0),
      6,
    );
    const ttlOps = new Set(['dedup_ttl_delete', 'tallies_ttl_delete', 'hourly_ttl_delete']);
    const fromOperations = base.operations.filter((op) => !ttlOps.has(op.operation)).reduce((sum, op) => sum + op.ruPerSecond, 0);
    expect(fromOperations).toBeCloseTo(base.totals.ruPerSecond, 3);
    expect(base.totals.ruBesidesDedup).toBeCloseTo(base.totals.ruPerSecond - container(base, 'dedup').ruPerSecond, 6);
  });

  it('prints every target with a verdict that matches its figure', () => {
    const targets = base.sections.find((section) => section.title.startsWith('Targets'));
    const limits = [
      TARGETS.ruPerSecond,
      TARGETS.ruBesidesDedup,
      TARGETS.autoscaleMaxTotal,
      TARGETS.throughputUnits,
      TARGETS.monthlyCost,
      TARGETS.counterDelaySeconds,
    ];
    expect(targets?.figures.map((entry) => entry.value)).toEqual([
      base.totals.ruPerSecond,
      base.totals.ruBesidesDedup,
      base.totals.autoscaleMaxRu,
      base.totals.throughputUnits,
      base.totals.monthlyCost,
      base.totals.counterDelaySeconds,
    ]);
    targets?.figures.forEach((entry, index) => {
      expect(entry.basis).toContain(entry.value <= (limits[index] as number) ? ': met' : ': NOT MET');
    });
  });

  it('stays under the reference deployment and its autoscale, Event Hubs, cost and delay targets at the defaults', () => {
    expect(base.totals.ruPerSecond).toBeLessThan(100_000);
    expect(base.totals.autoscaleMaxRu).toBeLessThanOrEqual(TARGETS.autoscaleMaxTotal);
    expect(base.totals.throughputUnits).toBeLessThanOrEqual(TARGETS.throughputUnits);
    expect(base.totals.monthlyCost).toBeLessThanOrEqual(TARGETS.monthlyCost);
    expect(base.totals.counterDelaySeconds).toBeLessThanOrEqual(TARGETS.counterDelaySeconds);
    expect(figure(base, 'reference deployment')).toBe(100_000);
  });

  it('bills autoscale at the need (TTL deletes excluded) and scales with the price', () => {
    const doubled = at({ prices: { ...DEFAULT_PRICES, cosmosAutoscalePer100RuHour: 0.024 } });
    expect(figure(doubled, 'Cosmos DB throughput (autoscale)')).toBeCloseTo(2 * figure(base, 'Cosmos DB throughput (autoscale)'), 6);
    expect(figure(base, 'Cosmos DB throughput (autoscale)')).toBeCloseTo((base.totals.ruPerSecond / 100) * 730 * 0.012, 6);
    expect(figure(base, 'Event Hubs Capture')).toBeCloseTo(2 * 730 * DEFAULT_PRICES.eventHubsCaptureTuHour, 6);
  });

  it('derives the Bicep values from the same figures', () => {
    expect(base.bicep).toEqual({
      partitionCount: base.totals.partitions,
      throughputUnits: base.totals.throughputUnits,
      autoInflateMaxThroughputUnits: 3,
      dedupMaxThroughput: container(base, 'dedup').autoscaleMaxRu,
      talliesMaxThroughput: container(base, 'tallies').autoscaleMaxRu,
      topItemsMaxThroughput: container(base, 'topitems').autoscaleMaxRu,
      leasesMaxThroughput: container(base, 'leases').autoscaleMaxRu,
      dedupTtlSeconds: 86_400,
      talliesTtlSeconds: 43_200,
      rowsRefreshSeconds: 10,
      hourlyRetentionDays: 90,
    });
  });
});

describe('--measured: per-operation RU from a deployment', () => {
  it('reads the KQL export: numbers as strings, rows of one operation weighted by requests, model-only rows skipped', () => {
    const { charges, ignored } = readMeasured(FIXTURE);
    expect(charges.dedup_create).toEqual({ requests: 3_420_000, ruPerRequest: 5.7 });
    expect(charges.counter_commit?.requests).toBe(1_138_600);
    expect(charges.counter_commit?.ruPerRequest).toBeCloseTo((1_000_000 * 15 + 138_600 * 25) / 1_138_600, 9);
    expect(charges.counter_read).toBeUndefined();
    expect(ignored).toEqual([]);
  });

  it('re-runs the model with the measured charges and labels them', () => {
    const { charges } = readMeasured(FIXTURE);
    const measured = at({ measured: charges });
    expect(figure(measured, 'dedup: creates')).toBeCloseTo(9500 * 5.7, 6);
    expect(operation(measured, 'counter_commit').measured).toBe(true);
    expect(operation(measured, 'dedup_change_feed').measured).toBe(false);
    expect(figure(measured, 'dedup: TTL deletes')).toBeCloseTo(9500 * 5.7, 6);
    expect(basis(measured, 'counter commit')).toMatch(/^measured: 1,138,600 requests/);
    expect(measured.totals.ruPerSecond).toBeGreaterThan(base.totals.ruPerSecond);
  });

  it('names the problem in a bad file', () => {
    expect(() => parseMeasured('{', 'x.json')).toThrow(/x\.json is not JSON/);
    expect(() => parseMeasured('{"operation":"dedup_create"}', 'x.json')).toThrow(/must hold a JSON array/);
    expect(() => parseMeasured('[1]', 'x.json')).toThrow(/row 1 is not an object/);
    expect(() => parseMeasured('[{"requests":1,"ru_per_request":1}]', 'x.json')).toThrow(/row 1 has no "operation" column/);
    expect(() => parseMeasured('[{"operation":"dedup_create","requests":1}]', 'x.json')).toThrow(
      /row 1 \(dedup_create\) has no "ru_per_request" column/,
    );
    expect(() => parseMeasured('[{"operation":"dedup_create","requests":"many","ru_per_request":1}]', 'x.json')).toThrow(
      /requests must be a number >= 0, got "many"/,
    );
    expect(() => parseMeasured('[{"operation":"dedup_create","requests":5,"ru_per_request":-1}]', 'x.json')).toThrow(
      /ru_per_request must be a number/,
    );
    expect(() => parseMeasured('[{"operation":"query","requests":null,"ru_per_request":null}]', 'x.json')).toThrow(
      /holds no measured operation/,
    );
    expect(() => readMeasured('/nonexistent/ru.json')).toThrow(/cannot read \/nonexistent\/ru\.json/);
    expect(() => parseMeasured('[]', 'x.json')).toThrow(UsageError);
  });

  it('ignores, and names, operations it does not know', () => {
    const { ignored, charges } = parseMeasured(
      '[{"operation":"dedup_create","requests":2,"ru_per_request":5},{"operation":"mystery","requests":1,"ru_per_request":3}]',
      'x.json',
    );
    expect(ignored).toEqual(['mystery']);
    expect(charges.dedup_create?.ruPerRequest).toBe(5);
  });
});

describe('command line', () => {
  it('reads options and price overrides', () => {
    const { inputs } = inputsFromArgs([
      '--events-per-second',
      '2000',
      '--no-flat-rows',
      '--count-ttl-deletes',
      '--rows-refresh-seconds',
      '30',
      '--cameras-per-post',
      '1',
      '--aggregate-cycle-seconds',
      '3',
      '--region-prices',
      'cosmosAutoscalePer100RuHour=0.02,region="West Europe"',
    ]);
    expect(inputs.eventsPerSecond).toBe(2000);
    expect(inputs.flatRows).toBe(false);
    expect(inputs.ru.provisionTtlDeletes).toBe(true);
    expect(inputs.rowsRefreshSeconds).toBe(30);
    expect(inputs.camerasPerPost).toBe(1);
    expect(inputs.aggregateCycleSeconds).toBe(3);
    expect(inputsFromArgs([]).inputs.aggregateCycleSeconds).toBe(FEED_CYCLE_SECONDS.aggregate);
    expect(inputs.prices.cosmosAutoscalePer100RuHour).toBe(0.02);
    expect(inputs.prices.region).toBe('West Europe');
  });

  it('refuses unknown prices, malformed values and retired options', () => {
    expect(() => parsePriceOverrides('nope=1')).toThrow(UsageError);
    expect(() => parsePriceOverrides('flexGbSecond=cheap')).toThrow(/flexGbSecond must be a number/);
    expect(() => inputsFromArgs(['--duplicate-rate', '1.5'])).toThrow(/fraction/);
    expect(() => inputsFromArgs(['--events-per-message', '50'])).toThrow(UsageError);
  });

  it('prints help, the report with its targets and the per-operation table, JSON and the KQL rows', () => {
    let help = '';
    expect(main(['--help'], (text) => (help += text))).toBe(0);
    expect(help).toContain('--measured');
    let report = '';
    expect(main(['--events-per-second', '10000', '--duplicate-rate', '0.05', '--ttl-hours', '24'], (text) => (report += text))).toBe(0);
    expect(report).toContain('== Targets at 10,000 events/s');
    expect(report).toMatch(/RU\/s needed \(TTL deletes apart\)\s+[\d,]+ RU\/s\s+target ≤ 66,000/);
    expect(report).toContain('== RU per stored detection by operation');
    expect(report).toContain('dedupMaxThroughput = ');
    let json = '';
    main(['--json'], (text) => (json += text));
    expect((JSON.parse(json) as CapacityResult).totals.throughputUnits).toBe(2);
    let kql = '';
    main(['--kql'], (text) => (kql += text));
    expect(kql).toBe(`${kqlModelRows(base)}\n`);
  });

  it('runs with --measured and exits 2 naming a bad file', () => {
    let report = '';
    expect(main(['--measured', FIXTURE], (text) => (report += text))).toBe(0);
    expect(report).toMatch(/counter_commit .* measured/);
    let stderr = '';
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      stderr += String(text);
      return true;
    });
    try {
      expect(main(['--measured', '/nonexistent/ru.json'], () => undefined)).toBe(2);
      expect(main(['--bogus'], () => undefined)).toBe(2);
    } finally {
      write.mockRestore();
    }
    expect(stderr).toContain('--measured: cannot read /nonexistent/ru.json');
  });
});
