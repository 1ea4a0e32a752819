import type { Container } from '@azure/cosmos';
import { CosmosCounterStore, CosmosDedupStore, TransactionalBatchError } from '../../../shared/adapters/cosmos';
import { ChargeMeter } from '../../../shared/charges';
import { rowsOfCounter } from '../../../shared/domain/counters';
import { counterState } from '../contracts/counterStore.contract';
import { dedupRecord } from '../contracts/dedupStore.contract';

/** Stands in for a Container, answering creates with the status a test chooses, and counting what is in flight. */
function fakeDedupContainer(statusFor: (id: string) => number) {
  let inFlight = 0;
  let maxInFlight = 0;
  const created: string[] = [];
  const reads: string[] = [];
  const container = {
    items: {
      create: async (document: { id: string }) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        const status = statusFor(document.id);
        if (status >= 400) throw Object.assign(new Error(`status ${status}`), { code: status });
        created.push(document.id);
        return { statusCode: status };
      },
    },
    item: (id: string) => ({
      read: () => {
        reads.push(id);
        return Promise.resolve({ statusCode: 200, resource: { id, locationOid: '2', itemName: 'bus' } });
      },
    }),
  };
  return { container: container as unknown as Container, created, reads, maxInFlight: () => maxInFlight };
}

describe('CosmosDedupStore against failures the test server cannot produce', () => {
  it('keeps at most `concurrency` creates in flight', async () => {
    const fake = fakeDedupContainer(() => 201);
    const ids = Array.from({ length: 50 }, (_, index) => String(index + 1));
    await new CosmosDedupStore(fake.container, { concurrency: 4 }).createMany(ids.map((id) => dedupRecord(id)));
    expect(fake.maxInFlight()).toBe(4);
    expect(fake.created.sort()).toEqual([...ids].sort());
  });

  it('turns a 409 into a duplicate with a point read, and never throws for it', async () => {
    const fake = fakeDedupContainer((id) => (id === '2' ? 409 : 201));
    const outcomes = await new CosmosDedupStore(fake.container).createMany([dedupRecord('1'), dedupRecord('2')]);
    expect(outcomes).toEqual([{ status: 'created' }, { status: 'duplicate', existing: { locationOid: '2', itemName: 'bus' } }]);
    expect(fake.reads).toEqual(['2']);
  });

  it.each([429, 503, 408])('throws a %i that survived the SDK retries, so the batch is redelivered', async (status) => {
    const fake = fakeDedupContainer((id) => (id === '7' ? status : 201));
    const ids = Array.from({ length: 20 }, (_, index) => String(index + 1));
    await expect(
      new CosmosDedupStore(fake.container, { concurrency: 2 }).createMany(ids.map((id) => dedupRecord(id))),
    ).rejects.toMatchObject({
      code: status,
    });
    // It stopped taking new work after the failure instead of ploughing through the batch.
    expect(fake.created.length).toBeLessThan(ids.length - 1);
  });
});

function fakeTopItemsContainer(statuses: number[] | Error) {
  const batches: { operationType: string; id?: string }[][] = [];
  const container = {
    items: {
      batch: (operations: { operationType: string; id?: string; resourceBody?: { id: string } }[]) => {
        batches.push(
          operations.map((operation) => ({ operationType: operation.operationType, id: operation.id ?? operation.resourceBody?.id })),
        );
        if (statuses instanceof Error) return Promise.reject(statuses);
        return Promise.resolve({ code: 207, headers: {}, result: statuses.map((statusCode) => ({ statusCode, requestCharge: 1 })) });
      },
    },
    item: () => ({ read: () => Promise.resolve({ statusCode: 404 }) }),
  };
  return { container: container as unknown as Container, batches };
}

/** The all-time counter of location 1 with two items: a commit or rows write of two rows. */
const state = counterState('1', 'all', [
  { name: 'car', count: 2 },
  { name: 'bus', count: 1 },
]);

/** The batch that writes `state` (created or replaced) with both its rows. */
const counterAndTwoRows = (counter: 'Create' | 'Replace') => [
  { operationType: counter, id: 'counter|all' },
  { operationType: 'Upsert', id: 'row|all|1' },
  { operationType: 'Upsert', id: 'row|all|2' },
];

describe('CosmosCounterStore rows write outcomes', () => {
  const due = { state, etag: '"v1"', written: [] };

  it('replaces the counter on its etag and upserts each row in one transactional batch, recording the charge', async () => {
    const fake = fakeTopItemsContainer([200, 201, 201]);
    const meter = new ChargeMeter();
    const { result, charges } = await meter.measure(() =>
      new CosmosCounterStore(fake.container, meter).write(due, rowsOfCounter(state, 10), undefined),
    );
    expect(result).toBe(true);
    expect(fake.batches).toEqual([counterAndTwoRows('Replace')]);
    expect(charges).toEqual({ rows_write: { n: 1, ru: 3 } });
  });

  it('writes only the rows that differ from the ones written, and deletes the ranks that fell off', async () => {
    const fake = fakeTopItemsContainer([200, 201, 204]);
    const before = counterState('1', 'all', [
      { name: 'car', count: 2 },
      { name: 'van', count: 1 },
      { name: 'tram', count: 1 },
    ]);
    const written = rowsOfCounter(before, 3);
    expect(await new CosmosCounterStore(fake.container).write({ state, etag: '"v1"', written }, rowsOfCounter(state, 10), undefined)).toBe(
      true,
    );
    expect(fake.batches).toEqual([
      [
        { operationType: 'Replace', id: 'counter|all' },
        { operationType: 'Upsert', id: 'row|all|2' },
        { operationType: 'Delete', id: 'row|all|3' },
      ],
    ]);
  });

  it.each([412, 404])('reports a counter that moved on (%i) as false', async (status) => {
    const fake = fakeTopItemsContainer([status, 424, 424]);
    expect(await new CosmosCounterStore(fake.container).write(due, rowsOfCounter(state, 10), undefined)).toBe(false);
  });

  it('throws when a row operation fails, or the batch itself fails', async () => {
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer([424, 500, 424]).container).write(due, rowsOfCounter(state, 10), undefined),
    ).rejects.toBeInstanceOf(TransactionalBatchError);
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer(new Error('Batch request error: 429')).container).write(
        due,
        rowsOfCounter(state, 10),
        undefined,
      ),
    ).rejects.toThrow(/429/);
  });

  it('refuses a rows write that would not fit one transactional batch', async () => {
    const many = counterState(
      '1',
      'all',
      Array.from({ length: 120 }, (_, index) => ({ name: `item${String(index).padStart(3, '0')}`, count: 1 })),
    );
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer([]).container).write(
        { state: many, etag: '"v1"', written: [] },
        rowsOfCounter(many, 120),
        undefined,
      ),
    ).rejects.toThrow(/MATERIALIZED_TOP/);
  });
});

describe('CosmosCounterStore commits that carry rows, and the due counters', () => {
  it('creates the counter and its rows in one transactional batch, recorded as a rows write, and leaves nothing due in its cache', async () => {
    const fake = fakeTopItemsContainer([201, 201, 201]);
    const meter = new ChargeMeter();
    const store = new CosmosCounterStore(fake.container, meter);
    const { result, charges } = await meter.measure(() => store.commit({ state, expectedEtag: null, rows: rowsOfCounter(state, 10) }));
    expect(result).toBe(true);
    expect(fake.batches).toEqual([counterAndTwoRows('Create')]);
    expect(charges).toEqual({ rows_write: { n: 1, ru: 3 } });
    // The fake has no query: an answer from the cache sends no request.
    expect(await store.due({ fromCache: true })).toEqual([]);
  });

  it('asks the service only for the due counters idle since the given time', async () => {
    const queries: unknown[] = [];
    const container = {
      items: {
        query: (spec: unknown) => {
          queries.push(spec);
          return { fetchAll: () => Promise.resolve({ resources: [], requestCharge: 2.5 }) };
        },
      },
    } as unknown as Container;
    expect(await new CosmosCounterStore(container).due({ updatedBefore: '2026-11-22T11:00:00.000Z' })).toEqual([]);
    expect(queries).toEqual([
      {
        query: "SELECT * FROM c WHERE c.type = 'counter' AND c.rowsDue = true AND c.updatedAt <= @updatedBefore",
        parameters: [{ name: '@updatedBefore', value: '2026-11-22T11:00:00.000Z' }],
      },
    ]);
  });
});

describe('request charges of the dedup store', () => {
  it('records a create, a refused create and the read of the stored copy, each with its charge', async () => {
    const container = {
      items: {
        create: (document: { id: string }) =>
          document.id === '2'
            ? Promise.reject(Object.assign(new Error('conflict'), { code: 409, headers: { 'x-ms-request-charge': '1.24' } }))
            : Promise.resolve({ statusCode: 201, requestCharge: 5.71 }),
      },
      item: () => ({ read: () => Promise.resolve({ statusCode: 200, requestCharge: 1, resource: { locationOid: '2', itemName: 'bus' } }) }),
    } as unknown as Container;
    const meter = new ChargeMeter();
    const { charges } = await meter.measure(() =>
      new CosmosDedupStore(container, { meter }).createMany([dedupRecord('1'), dedupRecord('2'), dedupRecord('3')]),
    );
    expect(charges).toEqual({
      dedup_create: { n: 2, ru: 11.42 },
      dedup_conflict: { n: 1, ru: 1.24 },
      conflict_read: { n: 1, ru: 1 },
    });
    expect(meter.operations()).toEqual({ dedup_create: 2, dedup_conflict: 1, conflict_read: 1 });
  });

  it('keeps the sums of concurrent invocations apart', async () => {
    const meter = new ChargeMeter();
    const slow = (ru: number) =>
      meter.measure(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        meter.record('metrics', ru);
        await new Promise((resolve) => setImmediate(resolve));
        meter.record('metrics', ru);
      });
    const [a, b] = await Promise.all([slow(1), slow(10)]);
    expect(a.charges).toEqual({ metrics: { n: 2, ru: 2 } });
    expect(b.charges).toEqual({ metrics: { n: 2, ru: 20 } });
  });
});
