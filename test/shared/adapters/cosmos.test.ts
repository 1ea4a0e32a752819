import type { Container } from '@azure/cosmos';
import { CosmosCounterStore, CosmosDedupStore, TransactionalBatchError } from '../../../shared/adapters/cosmos';
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
        return Promise.resolve({ code: 207, result: statuses.map((statusCode) => ({ statusCode, requestCharge: 1 })) });
      },
    },
    item: () => ({ read: () => Promise.resolve({ statusCode: 404 }) }),
  };
  return { container: container as unknown as Container, batches };
}

describe('CosmosCounterStore commit outcomes', () => {
  const state = counterState('1', 'all', [
    { name: 'car', count: 2 },
    { name: 'bus', count: 1 },
  ]);

  it('creates the counter and upserts each row in one transactional batch', async () => {
    const fake = fakeTopItemsContainer([201, 201, 201]);
    expect(await new CosmosCounterStore(fake.container).commit({ state, expectedEtag: null, rows: rowsOfCounter(state, 10) })).toBe(true);
    expect(fake.batches).toEqual([
      [
        { operationType: 'Create', id: 'counter|all' },
        { operationType: 'Upsert', id: 'row|all|1' },
        { operationType: 'Upsert', id: 'row|all|2' },
      ],
    ]);
  });

  it.each([409, 412])('reports a lost race (%i on the counter) as false', async (status) => {
    const fake = fakeTopItemsContainer([status, 424, 424]);
    expect(await new CosmosCounterStore(fake.container).commit({ state, expectedEtag: null, rows: rowsOfCounter(state, 10) })).toBe(false);
  });

  it('refuses without writing when the version it was computed from is gone', async () => {
    const fake = fakeTopItemsContainer([200]);
    expect(await new CosmosCounterStore(fake.container).commit({ state, expectedEtag: '"gone"', rows: rowsOfCounter(state, 10) })).toBe(
      false,
    );
    expect(fake.batches).toEqual([]);
  });

  it('throws when a row operation fails, or the batch itself fails', async () => {
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer([424, 500, 424]).container).commit({
        state,
        expectedEtag: null,
        rows: rowsOfCounter(state, 10),
      }),
    ).rejects.toBeInstanceOf(TransactionalBatchError);
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer(new Error('Batch request error: 429')).container).commit({
        state,
        expectedEtag: null,
        rows: rowsOfCounter(state, 10),
      }),
    ).rejects.toThrow(/429/);
  });

  it('refuses a commit that would not fit one transactional batch', async () => {
    const many = counterState(
      '1',
      'all',
      Array.from({ length: 120 }, (_, index) => ({ name: `item${String(index).padStart(3, '0')}`, count: 1 })),
    );
    await expect(
      new CosmosCounterStore(fakeTopItemsContainer([]).container).commit({
        state: many,
        expectedEtag: null,
        rows: rowsOfCounter(many, 100),
      }),
    ).rejects.toThrow(/MATERIALIZED_TOP/);
  });
});
