import { topItems } from '../../functions/topItems';
import type { TopItemRow } from '../../shared/domain/ranking';
import { get, installMemoryServices, invocationContext, jsonBodyOf, runAggregation } from './support';

const HOUR = 3_600_000;
const T10 = Date.UTC(2026, 10, 22, 10);

let lsn = 0;
const change = (location: string, item: string, timestampMs: number) => ({
  id: String(++lsn),
  pk: String(lsn % 3),
  _lsn: lsn,
  locationOid: location,
  location: location === '404' ? null : `Place ${location}`,
  cameraOid: '1',
  itemName: item,
  timestampMs,
});

async function seed() {
  // "Now" is 10:30; the events fall in the 08, 09 and 10 o'clock hours.
  const services = installMemoryServices();
  const changes = [
    ...Array.from({ length: 3 }, () => change('9007199254740993', 'car', T10 + 60_000)),
    ...Array.from({ length: 2 }, () => change('9007199254740993', 'bus', T10 - HOUR)),
    ...Array.from({ length: 2 }, () => change('9007199254740993', 'van', T10 - 2 * HOUR)),
    change('9007199254740993', 'Van', T10),
    change('12', 'tram', T10),
    change('404', 'car', T10),
  ];
  await runAggregation(services, changes);
  return services;
}

const request = async (query: Record<string, string>) => topItems(get('/api/top-items', query), invocationContext().context);

describe('GET /api/top-items', () => {
  it('ranks a location all-time: count descending, then name by code point, oids as strings', async () => {
    await seed();
    const response = await request({ location: '9007199254740993' });
    expect(response.status).toBe(200);
    expect(jsonBodyOf<TopItemRow[]>(response)).toEqual([
      {
        geographical_location_oid: '9007199254740993',
        geographical_location: 'Place 9007199254740993',
        item_rank: 1,
        item_name: 'car',
        item_count: 3,
        window: 'all',
        window_start: null,
        window_end: null,
      },
      expect.objectContaining({ item_rank: 2, item_name: 'bus', item_count: 2 }) as unknown,
      expect.objectContaining({ item_rank: 3, item_name: 'van', item_count: 2 }) as unknown,
      expect.objectContaining({ item_rank: 4, item_name: 'Van', item_count: 1 }) as unknown,
    ]);
  });

  it('answers every location without a location, in numeric oid order, with null for unknown places', async () => {
    await seed();
    const rows = jsonBodyOf<TopItemRow[]>(await request({ top: '1' }));
    expect(rows.map((row) => [row.geographical_location_oid, row.geographical_location, row.item_name])).toEqual([
      ['12', 'Place 12', 'tram'],
      ['404', null, 'car'],
      ['9007199254740993', 'Place 9007199254740993', 'car'],
    ]);
  });

  it('answers one hour, and the last N hours merged', async () => {
    await seed();
    const hour = jsonBodyOf<TopItemRow[]>(await request({ location: '9007199254740993', window: 'hour:2026-11-22T09' }));
    expect(hour).toEqual([
      expect.objectContaining({
        item_name: 'bus',
        item_count: 2,
        window: 'hour:2026-11-22T09',
        window_start: '2026-11-22T09:00:00.000Z',
        window_end: '2026-11-22T10:00:00.000Z',
      }),
    ]);
    const last2 = jsonBodyOf<TopItemRow[]>(await request({ location: '9007199254740993', window: 'last:2h' }));
    expect(last2.map((row) => [row.item_rank, row.item_name, row.item_count])).toEqual([
      [1, 'car', 3],
      [2, 'bus', 2],
      [3, 'Van', 1],
    ]);
    expect(last2[0]).toMatchObject({ window: 'last:2h', window_start: '2026-11-22T09:00:00.000Z', window_end: '2026-11-22T11:00:00.000Z' });
  });

  it('answers an empty table for a location with no detections', async () => {
    await seed();
    expect(jsonBodyOf(await request({ location: '5' }))).toEqual([]);
  });

  it.each([
    [{ location: 'abc' }, /^location:/],
    [{ location: '99999999999999999999' }, /^location: .*64-bit/],
    [{ top: '0' }, /^top:/],
    [{ top: 'ten' }, /^top:/],
    [{ top: '1001' }, /^top:/],
    [{ window: 'hour:2026-13-01T00' }, /^window:/],
    [{ window: 'last:0h' }, /^window:/],
    [{ window: 'yesterday' }, /^window:/],
  ])('answers 400 naming the parameter for %j', async (query, reason) => {
    installMemoryServices();
    const response = await request(query);
    expect(response.status).toBe(400);
    expect(jsonBodyOf<{ error: string }>(response).error).toMatch(reason);
  });
});
