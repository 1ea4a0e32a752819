import { aggregate } from '../../functions/aggregate';
import { refreshRowsTimer } from '../../functions/refreshRows';
import { tally } from '../../functions/tally';
import { idleRowsCadence, workerRowsCadence } from '../../shared/pipeline/refreshRows';
import { installMemoryServices, invocationContext } from './support';

/**
 * The cosmos-charges line of `aggregate` and `refreshRows`: one per invocation, with the requests it
 * made by operation (the memory stores count what the Cosmos DB adapters would send, with no RU).
 */
const change = (id: string, lsn: number, locationOid: string, hour: number) => ({
  id,
  pk: '7',
  _lsn: lsn,
  locationOid,
  location: `Place ${locationOid}`,
  cameraOid: '1',
  itemName: 'car',
  timestampMs: Date.UTC(2026, 10, 22, hour, 15),
  storedAt: '2026-11-22T10:16:00.000Z',
});

const TICK = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

function charges(logs: { message: string }[]): unknown {
  const lines = logs.filter((log) => log.message.startsWith('cosmos-charges '));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!.message.slice('cosmos-charges '.length));
}

describe('cosmos-charges of aggregate and the rows refresh', () => {
  it('counts one commit per changed counter, carrying its rows when the cadence is due, and nothing for a redelivery', async () => {
    const services = installMemoryServices();
    await tally([change('1', 10, '1', 10), change('2', 11, '1', 9), change('3', 12, '2', 10)], invocationContext().context);
    const feed = JSON.parse(JSON.stringify(services.tallies.feed())) as unknown[];

    // Two locations: location 1 all-time and two hours, location 2 all-time and one hour: 5 counters,
    // each committed with its rows (the cadence is due), and the rest of the due counters found in the cache.
    workerRowsCadence.reset();
    const first = invocationContext({ functionName: 'aggregate' });
    await aggregate(feed, first.context);
    expect(charges(first.logs)).toEqual({
      fn: 'aggregate',
      stored: 0,
      ops: { counter_read: { n: 5, ru: 0 }, rows_write: { n: 5, ru: 0 } },
    });

    // The same batch again within the cadence: read, nothing to commit, no rows.
    const again = invocationContext({ functionName: 'aggregate' });
    await aggregate(feed, again.context);
    expect(charges(again.logs)).toEqual({ fn: 'aggregate', stored: 0, ops: { counter_read: { n: 5, ru: 0 } } });

    // The idle-flush timer one cadence later: one query for due counters, none due.
    services.clock.advance(services.config.rowsRefreshSeconds * 1000);
    const timer = invocationContext({ functionName: 'refreshRows' });
    await refreshRowsTimer(TICK, timer.context);
    expect(charges(timer.logs)).toEqual({ fn: 'refreshRows', stored: 0, ops: { counter_read: { n: 1, ru: 0 } } });
  });

  it("keeps the idle-flush timer from taking aggregate's cadence: a tick just before a batch leaves its commits carrying rows", async () => {
    const services = installMemoryServices();
    await tally([change('1', 10, '1', 10)], invocationContext().context);
    workerRowsCadence.reset();
    idleRowsCadence.reset();
    await refreshRowsTimer(TICK, invocationContext({ functionName: 'refreshRows' }).context);
    const batch = invocationContext({ functionName: 'aggregate' });
    await aggregate(JSON.parse(JSON.stringify(services.tallies.feed())) as unknown[], batch.context);
    expect(charges(batch.logs)).toMatchObject({ ops: { rows_write: { n: 2, ru: 0 } } });
    expect(await services.counters.due()).toEqual([]);
  });
});
