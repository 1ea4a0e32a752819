import { aggregate } from '../../functions/aggregate';
import { tally } from '../../functions/tally';
import { installMemoryServices, invocationContext, runAggregation } from './support';

const change = (id: string, lsn: number, overrides: Record<string, unknown> = {}) => ({
  id,
  pk: '7',
  _lsn: lsn,
  locationOid: '9007199254740993',
  location: 'Harbour',
  cameraOid: '1',
  itemName: 'car',
  timestampMs: Date.UTC(2026, 10, 22, 10, 15),
  storedAt: '2026-11-22T10:16:00.000Z',
  _ts: 1795342560,
  _etag: '"x"',
  ...overrides,
});

async function registrationOf(file: string): Promise<unknown> {
  let options: unknown;
  await jest.isolateModulesAsync(async () => {
    const { app } = await import('@azure/functions');
    jest.spyOn(app, 'cosmosDB').mockImplementation((_name, registered) => {
      options = registered;
    });
    await import(file);
  });
  return options;
}

type FeedHandler = (documents: unknown[], context: unknown) => Promise<unknown>;

/** The handler registered as `name` with the host, loaded with memory services in its own module registry. */
async function registeredHandler(name: string): Promise<FeedHandler> {
  const handlers = new Map<string, FeedHandler>();
  await jest.isolateModulesAsync(async () => {
    const { app } = await import('@azure/functions');
    jest.spyOn(app, 'cosmosDB').mockImplementation((registeredName, registered) => {
      handlers.set(registeredName, registered.handler as FeedHandler);
    });
    (await import('./support.js')).installMemoryServices();
    await import(`../../functions/${name}.js`);
  });
  return handlers.get(name)!;
}

describe('tally and aggregate (Cosmos DB change-feed triggers)', () => {
  it('folds new detections into all-time and hourly counters, with their top rows', async () => {
    const services = installMemoryServices();
    await runAggregation(services, [
      change('1', 10),
      change('2', 11, { itemName: 'bus' }),
      change('3', 12),
      change('4', 13, { timestampMs: Date.UTC(2026, 10, 22, 7, 59) }),
    ]);

    const states = await services.counters.list({ locationOid: '9007199254740993' });
    expect(states.map((state) => [state.window, state.items, state.total, state.watermarks])).toEqual([
      ['2026-11-22T07', [{ name: 'car', count: 1 }], 1, { '7': 13 }],
      [
        '2026-11-22T10',
        [
          { name: 'car', count: 2 },
          { name: 'bus', count: 1 },
        ],
        3,
        { '7': 13 },
      ],
      [
        'all',
        [
          { name: 'car', count: 3 },
          { name: 'bus', count: 1 },
        ],
        4,
        { '7': 13 },
      ],
    ]);
    expect(services.counters.rows('9007199254740993').filter((row) => row.window === 'all')).toEqual([
      {
        geographical_location_oid: '9007199254740993',
        geographical_location: 'Harbour',
        item_rank: 1,
        item_name: 'car',
        item_count: 3,
        window: 'all',
        window_start: null,
        window_end: null,
      },
      expect.objectContaining({ item_rank: 2, item_name: 'bus', item_count: 1 }) as unknown,
    ]);
  });

  it('keeps only MATERIALIZED_TOP rows per counter', async () => {
    const services = installMemoryServices({ config: { materializedTop: 2 } });
    await runAggregation(
      services,
      ['a', 'b', 'c', 'd'].map((item, index) => change(String(index), index + 1, { itemName: item })),
    );
    expect(
      services.counters
        .rows()
        .filter((row) => row.window === 'all')
        .map((row) => row.item_name),
    ).toEqual(['a', 'b']);
    expect((await services.counters.list({ windows: ['all'] }))[0]?.items).toHaveLength(4);
  });

  it('tally writes one tally per dedup partition of the batch, and nothing again for a redelivery', async () => {
    const services = installMemoryServices();
    const batch = [change('1', 10), change('2', 11, { pk: '9' }), change('3', 12)];
    const { context, logs } = invocationContext({ functionName: 'tally' });
    const first = await tally(batch, context);
    const again = await tally(batch, context);
    expect(services.tallies.feed().map((document) => [document.id, document.changes])).toEqual([
      ['7:10', 2],
      ['9:11', 1],
    ]);
    expect([first, again]).toEqual([
      { changes: 3, tallies: 2, tallied: 3, redelivered: 0, conflictsRetried: 0 },
      { changes: 3, tallies: 0, tallied: 0, redelivered: 3, conflictsRetried: 0 },
    ]);
    // The cosmos-charges line is a contract the KQL reads: each tally is a cursor read and a batch; a redelivery only reads.
    expect(logs.map((log) => log.message).filter((message) => message.startsWith('cosmos-charges'))).toEqual([
      'cosmos-charges {"fn":"tally","stored":0,"ops":{"tally_append":{"n":4,"ru":0}}}',
      'cosmos-charges {"fn":"tally","stored":0,"ops":{"tally_append":{"n":2,"ru":0}}}',
    ]);
  });

  it('tally skips documents that are not dedup records with a warning, and tallies the rest', async () => {
    const services = installMemoryServices();
    const { context, logs } = invocationContext();
    await tally([{ id: 'metrics', locationOid: '_meta' }, null, change('5', 1)], context);
    expect(logs.filter((log) => log.level === 'warning')).toHaveLength(2);
    expect(services.tallies.feed().map((document) => document.changes)).toEqual([1]);
  });

  it('aggregate passes over cursors silently, warns about other documents that are not tallies, and folds the rest', async () => {
    const services = installMemoryServices();
    await tally([change('5', 1)], invocationContext().context);
    const { context, logs } = invocationContext();
    const cursor = { id: 'cursor', pk: '7', type: 'cursor', lastSequence: 1, ttl: -1 };
    await aggregate([cursor, { id: '7:0', pk: '7' }, ...services.tallies.feed()], context);
    expect(logs.filter((log) => log.level === 'warning').map((log) => log.message)).toEqual([
      expect.stringMatching(/^aggregate: skipped a malformed tally: firstSequence and lastSequence/) as unknown,
    ]);
    expect((await services.counters.list({ windows: ['all'] }))[0]?.total).toBe(1);
  });

  it('propagates a store fault in either stage so the retry policy redelivers the batch', async () => {
    const services = installMemoryServices();
    services.tallies.failNext();
    await expect(tally([change('6', 1)], invocationContext().context)).rejects.toThrow(/simulated 503/);
    await tally([change('6', 1)], invocationContext().context);
    services.counters.crashAfterCommits(0);
    await expect(aggregate(services.tallies.feed(), invocationContext().context)).rejects.toThrow(/simulated crash/);
  });

  it('handles empty batches', async () => {
    const services = installMemoryServices();
    await runAggregation(services, []);
    expect(services.tallies.feed()).toEqual([]);
    expect(await services.counters.list({})).toEqual([]);
  });

  it('registers tally on the dedup change feed and aggregate on the tallies, sharing the lease container under two prefixes', async () => {
    const common = {
      connection: 'CosmosDbConnection',
      databaseName: '%COSMOS_DATABASE%',
      leaseContainerName: '%COSMOS_LEASES_CONTAINER%',
      createLeaseContainerIfNotExists: false,
      maxItemsPerInvocation: 1000,
      retry: { strategy: 'exponentialBackoff', maxRetryCount: -1 },
    };
    expect(await registrationOf('../../functions/tally.js')).toMatchObject({
      ...common,
      containerName: '%COSMOS_DEDUP_CONTAINER%',
      leaseContainerPrefix: 'tally-',
    });
    expect(await registrationOf('../../functions/aggregate.js')).toMatchObject({
      ...common,
      containerName: '%COSMOS_TALLIES_CONTAINER%',
      leaseContainerPrefix: 'aggregate-',
    });
  });

  it.each([
    ['tally', 1],
    ['aggregate', 2],
  ])('holds a small batch of %s in Azure until %i s after it started', async (name, seconds) => {
    const handler = await registeredHandler(name);
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      let done = false;
      const run = handler([], invocationContext().context).then(() => {
        done = true;
      });
      await jest.advanceTimersByTimeAsync(seconds * 1000 - 10);
      expect(done).toBe(false);
      await jest.advanceTimersByTimeAsync(10);
      await run;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
