import { aggregate } from '../../functions/aggregate';
import { installMemoryServices, invocationContext } from './support';

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

describe('aggregate (Cosmos DB change-feed trigger)', () => {
  it('folds new detections into all-time and hourly counters, with their top rows', async () => {
    const services = installMemoryServices();
    await aggregate(
      [
        change('1', 10),
        change('2', 11, { itemName: 'bus' }),
        change('3', 12),
        change('4', 13, { timestampMs: Date.UTC(2026, 10, 22, 7, 59) }),
      ],
      invocationContext().context,
    );

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
        { '7': 12 },
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
    await aggregate(
      ['a', 'b', 'c', 'd'].map((item, index) => change(String(index), index + 1, { itemName: item })),
      invocationContext().context,
    );
    expect(
      services.counters
        .rows()
        .filter((row) => row.window === 'all')
        .map((row) => row.item_name),
    ).toEqual(['a', 'b']);
    expect((await services.counters.list({ windows: ['all'] }))[0]?.items).toHaveLength(4);
  });

  it('skips documents that are not dedup records with a warning, and counts the rest', async () => {
    const services = installMemoryServices();
    const { context, logs } = invocationContext();
    await aggregate([{ id: 'metrics', locationOid: '_meta' }, null, change('5', 1)], context);
    expect(logs.filter((log) => log.level === 'warning')).toHaveLength(2);
    expect((await services.counters.list({ windows: ['all'] }))[0]?.total).toBe(1);
  });

  it('propagates a store fault so the retry policy redelivers the batch', async () => {
    const services = installMemoryServices();
    services.counters.crashAfterCommits(0);
    await expect(aggregate([change('6', 1)], invocationContext().context)).rejects.toThrow(/simulated crash/);
  });

  it('handles an empty batch', async () => {
    const services = installMemoryServices();
    await aggregate([], invocationContext().context);
    expect(await services.counters.list({})).toEqual([]);
  });

  it('is registered on the dedup change feed with the lease container of the infrastructure and an unbounded retry policy', async () => {
    let options: unknown;
    await jest.isolateModulesAsync(async () => {
      const { app } = await import('@azure/functions');
      jest.spyOn(app, 'cosmosDB').mockImplementation((_name, registered) => {
        options = registered;
      });
      await import('../../functions/aggregate.js');
    });
    expect(options).toMatchObject({
      connection: 'CosmosDbConnection',
      databaseName: '%COSMOS_DATABASE%',
      containerName: '%COSMOS_DEDUP_CONTAINER%',
      leaseContainerName: '%COSMOS_LEASES_CONTAINER%',
      createLeaseContainerIfNotExists: false,
      maxItemsPerInvocation: 1000,
      retry: { strategy: 'exponentialBackoff', maxRetryCount: -1 },
    });
  });
});
