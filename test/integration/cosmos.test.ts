import type { Container, Database } from '@azure/cosmos';
import { CosmosCounterStore, CosmosDedupStore, CosmosMetricsStore, CosmosTallyStore, type RowDocument } from '../../shared/adapters/cosmos';
import { ManualClock } from '../support/memory';
import { ChargeMeter } from '../../shared/charges';
import type { TopItemRow } from '../../shared/domain/ranking';
import { refreshRows } from '../../shared/pipeline/refreshRows';
import { tallyOf } from '../../shared/domain/tallies';
import { decodeTallies } from '../../shared/pipeline/changes';
import { counterState, counterStoreContract } from '../shared/contracts/counterStore.contract';
import { dedupRecord, dedupStoreContract } from '../shared/contracts/dedupStore.contract';
import { metricsStoreContract } from '../shared/contracts/metricsStore.contract';
import { tallyStoreContract } from '../shared/contracts/tallyStore.contract';
import { talliesFrom } from '../support/aggregation';
import { type CosmosTestServer, startCosmosServer } from '../support/cosmosServer';

jest.setTimeout(60_000);

let server: CosmosTestServer;
let database: Database;
let containers = 0;

beforeAll(async () => {
  server = await startCosmosServer();
  database = await server.database('camera');
});

afterAll(async () => {
  await server?.stop();
});

/** A fresh container per test, partitioned as the infrastructure partitions the real one. */
async function freshContainer(kind: 'dedup' | 'topitems' | 'tallies'): Promise<Container> {
  containers += 1;
  const { container } = await database.containers.createIfNotExists({
    id: `${kind}-${containers}`,
    partitionKey: { paths: [kind === 'topitems' ? '/locationOid' : '/pk'] },
  });
  return container;
}

async function rowsOf(container: Container, locationOid: string): Promise<TopItemRow[]> {
  const { resources } = await container.items
    .query<RowDocument>({
      query: "SELECT * FROM c WHERE c.type = 'topItem' AND c.locationOid = @l",
      parameters: [{ name: '@l', value: locationOid }],
    })
    .fetchAll();
  return resources;
}

describe('the Cosmos DB primitives the adapters rely on', () => {
  it('create answers 409 for an id already in its partition, and 201 for the same id in another', async () => {
    const container = await freshContainer('dedup');
    await container.items.create({ id: '42', pk: '3' });
    await expect(container.items.create({ id: '42', pk: '3' })).rejects.toMatchObject({ code: 409 });
    expect((await container.items.create({ id: '42', pk: '4' })).statusCode).toBe(201);
  });

  it('replace with a stale etag answers 412 and changes nothing', async () => {
    const container = await freshContainer('topitems');
    const { resource: created } = await container.items.create({ id: 'c', locationOid: '1', n: 1 });
    await container
      .item('c', '1')
      .replace({ id: 'c', locationOid: '1', n: 2 }, { accessCondition: { type: 'IfMatch', condition: created!._etag } });
    await expect(
      container
        .item('c', '1')
        .replace({ id: 'c', locationOid: '1', n: 3 }, { accessCondition: { type: 'IfMatch', condition: created!._etag } }),
    ).rejects.toMatchObject({ code: 412 });
    expect((await container.item('c', '1').read<{ n: number }>()).resource?.n).toBe(2);
  });

  it('patch incr adds on the server, and point reads see it', async () => {
    const container = await freshContainer('topitems');
    await container.items.create({ id: 'm', locationOid: '_meta', accepted: 1 });
    await container.item('m', '_meta').patch([
      { op: 'incr', path: '/accepted', value: 4 },
      { op: 'incr', path: '/invalid', value: 2 },
    ]);
    const { resource, statusCode } = await container.item('m', '_meta').read<{ accepted: number; invalid: number }>();
    expect(statusCode).toBe(200);
    expect(resource).toMatchObject({ accepted: 5, invalid: 2 });
    expect((await container.item('missing', '_meta').read()).statusCode).toBe(404);
  });

  it('a batch whose first operation fails reports 412 then 424 and applies nothing after it', async () => {
    const container = await freshContainer('topitems');
    await container.items.create({ id: 'counter|all', locationOid: '1' });
    const response = await container.items.batch(
      [
        {
          operationType: 'Replace',
          partitionKey: '1',
          id: 'counter|all',
          ifMatch: '"stale"',
          resourceBody: { id: 'counter|all', locationOid: '1' },
        },
        { operationType: 'Upsert', partitionKey: '1', resourceBody: { id: 'row|all|1', locationOid: '1' } },
      ],
      '1',
    );
    expect(response.result?.map((result) => result.statusCode)).toEqual([412, 424]);
    expect((await container.item('row|all|1', '1').read()).statusCode).toBe(404);
  });
});

dedupStoreContract('Cosmos DB (cosmosdb-server)', async () => new CosmosDedupStore(await freshContainer('dedup'), { concurrency: 8 }));

counterStoreContract('Cosmos DB (cosmosdb-server)', async () => {
  const container = await freshContainer('topitems');
  return {
    store: new CosmosCounterStore(container),
    rows: (locationOid) => rowsOf(container, locationOid),
    another: () => new CosmosCounterStore(container),
  };
});

metricsStoreContract('Cosmos DB (cosmosdb-server)', async () => new CosmosMetricsStore(await freshContainer('topitems')));

tallyStoreContract('Cosmos DB (cosmosdb-server)', async () => {
  const container = await freshContainer('tallies');
  return {
    store: new CosmosTallyStore(container),
    tallies: async () => {
      const { resources } = await container.items.query<unknown>("SELECT * FROM c WHERE c.type = 'tally'").fetchAll();
      return talliesFrom(resources).sort((a, b) =>
        a.partition === b.partition ? a.firstSequence - b.firstSequence : a.partition < b.partition ? -1 : 1,
      );
    },
  };
});

describe('CosmosTallyStore documents', () => {
  it('keeps a cursor that never expires beside the tallies of its partition, and the feed decoder passes over it', async () => {
    const container = await freshContainer('tallies');
    const store = new CosmosTallyStore(container);
    const tally = tallyOf([
      {
        partition: '5',
        sequence: 11,
        detectionOid: '1',
        locationOid: '1',
        location: null,
        itemName: 'car',
        timestampMs: Date.UTC(2026, 10, 22, 10),
      },
    ]);
    expect(await store.append(tally, null)).toBe(true);
    const { resources } = await container.items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll();
    expect(resources.map((document) => [document['id'], document['pk'], document['type']]).sort()).toEqual([
      ['5:11', '5', 'tally'],
      ['cursor', '5', 'cursor'],
    ]);
    expect(resources.find((document) => document['id'] === 'cursor')).toMatchObject({ lastSequence: 11, ttl: -1 });
    expect(decodeTallies(resources)).toEqual({ tallies: [tally], malformed: [] });
  });
});

describe('CosmosTallyStore cursor cache', () => {
  const change = (sequence: number) => ({
    partition: '6',
    sequence,
    detectionOid: String(sequence),
    locationOid: '1',
    location: null,
    itemName: 'car',
    timestampMs: Date.UTC(2026, 10, 22, 10),
  });

  it('reads a cursor once, appends from the cursor it wrote, and reads again after another writer moved it', async () => {
    const container = await freshContainer('tallies');
    const meter = new ChargeMeter();
    const store = new CosmosTallyStore(container, meter);
    const requests = async (run: () => Promise<unknown>) => (await meter.measure(run)).charges.tally_append?.n ?? 0;

    let cursor = await store.cursor('6');
    expect(await requests(() => store.append(tallyOf([change(1)]), cursor.etag))).toBe(1);
    expect(await requests(async () => (cursor = await store.cursor('6')))).toBe(0);
    expect(cursor.lastSequence).toBe(1);
    expect(await store.append(tallyOf([change(2)]), cursor.etag)).toBe(true);

    // Another worker took the lease and moved the cursor: the cached one is refused, then read again.
    const other = new CosmosTallyStore(container);
    expect(await other.append(tallyOf([change(3)]), (await other.cursor('6')).etag)).toBe(true);
    const stale = await store.cursor('6');
    expect(await store.append(tallyOf([change(3), change(4)]), stale.etag)).toBe(false);
    expect(await requests(async () => (cursor = await store.cursor('6')))).toBe(1);
    expect(cursor.lastSequence).toBe(3);
  });
});

describe('CosmosDedupStore documents', () => {
  it('stores the record under id = detection oid in its pk, with the configured TTL', async () => {
    const container = await freshContainer('dedup');
    await new CosmosDedupStore(container, { itemTtlSeconds: 86_400 }).createMany([dedupRecord('9007199254740993', { pk: '17' })]);
    const { resource } = await container.item('9007199254740993', '17').read<Record<string, unknown>>();
    expect(resource).toMatchObject({ ...dedupRecord('9007199254740993', { pk: '17' }), ttl: 86_400 });
  });
});

const refreshAt = (rows: CosmosCounterStore, nowMs = Date.UTC(2026, 10, 22, 12)) =>
  refreshRows({ rows, clock: new ManualClock(nowMs), materializedTop: 10, hourlyRetentionDays: 90 });

describe('CosmosCounterStore documents', () => {
  it('writes a counter document and, on refresh, flat rows that Power BI can read as they are, expiring with their hour', async () => {
    const container = await freshContainer('topitems');
    const store = new CosmosCounterStore(container);
    const state = counterState('9007199254740993', '2026-11-22T10', [
      { name: 'car', count: 2 },
      { name: 'bus', count: 1 },
    ]);
    await store.commit({ state, expectedEtag: null, ttlSeconds: 1000 });

    const { resource: counter } = await container.item('counter|2026-11-22T10', '9007199254740993').read<Record<string, unknown>>();
    expect(counter).toMatchObject({
      type: 'counter',
      locationOid: '9007199254740993',
      window: '2026-11-22T10',
      total: 3,
      rowsDue: true,
      ttl: 1000,
    });
    // The hour ends at 11:00; retention is 90 days from there, and the refresh runs at 12:00.
    await refreshAt(store);
    const { resource: row } = await container.item('row|2026-11-22T10|1', '9007199254740993').read<Record<string, unknown>>();
    expect(row).toMatchObject({
      type: 'topItem',
      locationOid: '9007199254740993',
      geographical_location_oid: '9007199254740993',
      geographical_location: 'Location 9007199254740993',
      item_rank: 1,
      item_name: 'car',
      item_count: 2,
      window: 'hour:2026-11-22T10',
      window_start: '2026-11-22T10:00:00.000Z',
      window_end: '2026-11-22T11:00:00.000Z',
      ttl: 90 * 86_400 - 3600,
    });
    const { resource: refreshed } = await container.item('counter|2026-11-22T10', '9007199254740993').read<Record<string, unknown>>();
    expect(refreshed).toMatchObject({ rowsDue: false, rowsItems: state.items, ttl: 90 * 86_400 - 3600 });
  });

  it('never sets a ttl on an all-time counter or its rows', async () => {
    const container = await freshContainer('topitems');
    const store = new CosmosCounterStore(container);
    await store.commit({ state: counterState('2', 'all', [{ name: 'car', count: 1 }]), expectedEtag: null });
    await refreshAt(store);
    const { resources } = await container.items.query<Record<string, unknown>>('SELECT * FROM c').fetchAll();
    expect(resources).toHaveLength(2);
    for (const document of resources) expect(document['ttl']).toBeUndefined();
  });

  it('rewrites only the rows that changed', async () => {
    const container = await freshContainer('topitems');
    const store = new CosmosCounterStore(container);
    const first = counterState('8', 'all', [
      { name: 'car', count: 5 },
      { name: 'bus', count: 3 },
      { name: 'van', count: 1 },
    ]);
    await store.commit({ state: first, expectedEtag: null });
    await refreshAt(store);
    const etagsBefore = await rowEtags(container, '8');
    const { etag } = (await store.read('8', ['all'])).get('all')!;
    const second = counterState('8', 'all', [
      { name: 'car', count: 5 },
      { name: 'bus', count: 3 },
      { name: 'van', count: 2 },
    ]);
    await store.commit({ state: second, expectedEtag: etag });
    await refreshAt(new CosmosCounterStore(container));
    const etagsAfter = await rowEtags(container, '8');
    expect(etagsAfter[1]).toBe(etagsBefore[1]);
    expect(etagsAfter[2]).toBe(etagsBefore[2]);
    expect(etagsAfter[3]).not.toBe(etagsBefore[3]);
  });

  it('commits from its cache without reading, and reads again after another writer moved the counter', async () => {
    const container = await freshContainer('topitems');
    const meter = new ChargeMeter();
    const writer = new CosmosCounterStore(container, meter);
    const other = new CosmosCounterStore(container);
    const first = counterState('6', 'all', [{ name: 'car', count: 1 }], { '0': 1 });
    const { charges } = await meter.measure(async () => {
      await writer.commit({ state: first, expectedEtag: null });
      const { etag } = (await writer.read('6', ['all'])).get('all')!;
      const second = counterState('6', 'all', [{ name: 'car', count: 2 }], { '0': 2 });
      expect(await writer.commit({ state: second, expectedEtag: etag })).toBe(true);
    });
    expect(charges.counter_read).toBeUndefined();
    expect(charges.counter_commit?.n).toBe(2);

    const { etag } = (await other.read('6', ['all'])).get('all')!;
    const third = counterState('6', 'all', [{ name: 'car', count: 3 }], { '0': 3 });
    expect(await other.commit({ state: third, expectedEtag: etag })).toBe(true);
    // The writer's cached etag is stale now: refused (412), and the next read goes to the server.
    const cached = (await writer.read('6', ['all'])).get('all')!;
    expect(await writer.commit({ state: third, expectedEtag: cached.etag })).toBe(false);
    const fresh = (await writer.read('6', ['all'])).get('all')!;
    expect(fresh.state).toEqual(third);
  });
});

async function rowEtags(container: Container, locationOid: string): Promise<Record<number, string>> {
  const rows = (await rowsOf(container, locationOid)) as (TopItemRow & { _etag: string })[];
  return Object.fromEntries(rows.map((row) => [row.item_rank, row._etag]));
}
