import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { XMLValidator } from 'fast-xml-parser';
import { odata } from '../../functions/odata';
import { topItems } from '../../functions/topItems';
import { createMemoryServices, ManualClock, type MemoryServices } from '../support/memory';
import type { CountedChange } from '../../shared/domain/tallies';
import { countChanges } from '../support/aggregation';
import { resetServices, useServices } from '../../functions/services';
import { specColumns } from '../support/topItemRows';

const BIG = '9007199254740993';
const BIG_NEIGHBOUR = '9007199254740992';
const TOP = 3;
const HOUR_10 = Date.UTC(2026, 10, 22, 10, 15);
const HOUR_11 = Date.UTC(2026, 10, 22, 11, 45);

let services: MemoryServices;

/** Detections folded by the real aggregator: more items than TOP at BIG, ties, two hours, an unknown location. */
async function seed(): Promise<void> {
  const detections: [string, string, number][] = [
    ...Array.from({ length: 5 }, () => [BIG, 'car', HOUR_10] as [string, string, number]),
    ...Array.from({ length: 3 }, () => [BIG, 'bus', HOUR_11] as [string, string, number]),
    [BIG, 'bike', HOUR_10],
    [BIG, 'bike', HOUR_11],
    [BIG, 'van', HOUR_10],
    [BIG, 'dog', HOUR_11],
    [BIG_NEIGHBOUR, 'cat', HOUR_10],
    ['12', 'tram', HOUR_11],
    ['77', 'ghost', HOUR_10],
  ];
  const changes: CountedChange[] = detections.map(([locationOid, itemName, timestampMs], index) => ({
    partition: `p${index % 4}`,
    sequence: index + 1,
    detectionOid: String(1000 + index),
    locationOid,
    location: locationOid === '77' ? null : `Place ${locationOid}`,
    itemName,
    timestampMs,
  }));
  await countChanges(changes, { counters: services.counters, clock: services.clock });
}

beforeEach(async () => {
  services = createMemoryServices({
    config: { materializedTop: TOP },
    clock: new ManualClock(Date.UTC(2026, 10, 22, 12, 0)),
    locations: new Map([
      [BIG, `Place ${BIG}`],
      [BIG_NEIGHBOUR, `Place ${BIG_NEIGHBOUR}`],
      ['12', 'Place 12'],
    ]),
  });
  useServices(services);
  await seed();
});

afterAll(() => resetServices());

function call(handler: typeof odata, url: string, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  return handler(new HttpRequest({ method: 'GET', url, headers }), new InvocationContext());
}

const FEED = 'http://localhost:7071/api/odata/';
const STRINGS = { accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' };

interface Page {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
}

async function readFeed(path: string, pageSize: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let url: string | undefined = `${FEED}${path}`;
  for (let pages = 0; url; pages += 1) {
    if (pages > 1000) throw new Error('next links never end');
    const response = await call(odata, url, { ...STRINGS, prefer: `odata.maxpagesize=${pageSize}` });
    expect(response.status).toBe(200);
    const page = JSON.parse(response.body as string) as Page;
    rows.push(...page.value);
    url = page['@odata.nextLink'];
  }
  return rows;
}

async function topItemsApi(window: string): Promise<Record<string, unknown>[]> {
  const response = await call(topItems, `http://localhost:7071/api/top-items?window=${window}&top=${TOP}`);
  expect(response.status).toBe(200);
  return response.jsonBody as Record<string, unknown>[];
}

describe('odata function', () => {
  it('serves the same all-time rows as GET /api/top-items?window=all&top=MATERIALIZED_TOP, paged', async () => {
    const feed = await readFeed("TopItems?$filter=window eq 'all'", 2);
    const api = await topItemsApi('all');
    expect(feed.map(specColumns)).toEqual(api);
    expect(api.filter((row) => row['geographical_location_oid'] === BIG)).toHaveLength(TOP);
    expect(feed.find((row) => row['geographical_location_oid'] === BIG && row['item_rank'] === 1)).toMatchObject({
      item_name: 'car',
      item_count: '5',
    });
  });

  it('holds a row set for every hour too, equal to the hour query of the API', async () => {
    for (const hour of ['2026-11-22T10', '2026-11-22T11']) {
      const feed = await readFeed(`TopItems?$filter=window eq 'hour:${hour}'`, 1);
      expect(feed.map(specColumns)).toEqual(await topItemsApi(`hour:${hour}`));
      expect(feed.length).toBeGreaterThan(0);
    }
    const all = await readFeed('TopItems', 1000);
    expect(new Set(all.map((row) => row['window']))).toEqual(new Set(['all', 'hour:2026-11-22T10', 'hour:2026-11-22T11']));
  });

  it('serves no hour that ended longer than HOURLY_RETENTION_DAYS ago, in the feed or the API, and all-time still', async () => {
    // 90 days after 11:30: the 10 o'clock hour (ended 11:00) has expired, the 11 o'clock one has not.
    (services.clock as ManualClock).set(Date.UTC(2026, 10, 22, 11, 30) + 90 * 86_400_000);
    const all = await readFeed('TopItems', 1000);
    expect(new Set(all.map((row) => row['window']))).toEqual(new Set(['all', 'hour:2026-11-22T11']));
    expect(await readFeed("TopItems?$filter=window eq 'hour:2026-11-22T10'", 10)).toEqual([]);
    expect(await topItemsApi('hour:2026-11-22T10')).toEqual([]);
    expect((await topItemsApi('hour:2026-11-22T11')).length).toBeGreaterThan(0);
    // A span reaching back past both hours counts only the one still kept: bus leads, not the expired cars.
    const span = (await topItemsApi('last:2162h')).filter((row) => row['geographical_location_oid'] === BIG);
    expect(span[0]).toMatchObject({ item_name: 'bus', item_count: 3 });
    expect(span.some((row) => row['item_name'] === 'car')).toBe(false);
    expect((await topItemsApi('all')).find((row) => row['geographical_location_oid'] === BIG)).toMatchObject({ item_count: 5 });
  });

  it('keeps 2^53+1 and 2^53 apart, as numbers by default and as strings when asked', async () => {
    const filter = `$filter=geographical_location_oid eq ${BIG} and window eq 'all'&$select=geographical_location_oid,item_rank`;
    const numbers = await call(odata, `${FEED}TopItems?${filter}`);
    expect(numbers.headers).toMatchObject({ 'Content-Type': expect.stringContaining('IEEE754Compatible=false') as unknown });
    expect(numbers.body).toContain(`"geographical_location_oid":${BIG},`);
    expect(numbers.body).not.toContain(BIG_NEIGHBOUR);
    const strings = await call(odata, `${FEED}TopItems?${filter}`, STRINGS);
    expect(strings.body).toContain(`"geographical_location_oid":"${BIG}"`);
  });

  it('serves $metadata as valid CSDL XML with Edm.Int64 oids', async () => {
    const response = await call(odata, `${FEED}$metadata`);
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/xml', 'OData-Version': '4.0' });
    expect(XMLValidator.validate(response.body as string)).toBe(true);
    expect(response.body).toContain('<Property Name="geographical_location_oid" Type="Edm.Int64" Nullable="false"/>');
  });

  it('serves Locations from Dataset B, with a key lookup', async () => {
    const rows = await readFeed('Locations', 1);
    expect(rows).toEqual([
      { geographical_location_oid: '12', geographical_location: 'Place 12' },
      { geographical_location_oid: BIG_NEIGHBOUR, geographical_location: `Place ${BIG_NEIGHBOUR}` },
      { geographical_location_oid: BIG, geographical_location: `Place ${BIG}` },
    ]);
    const one = await call(odata, `${FEED}Locations(${BIG})`, STRINGS);
    expect(JSON.parse(one.body as string)).toMatchObject({ geographical_location_oid: BIG });
  });

  it('answers the service root and turns bad queries into OData errors', async () => {
    const root = await call(odata, FEED);
    expect(JSON.parse(root.body as string)).toMatchObject({ '@odata.context': `${FEED}$metadata` });
    const bad = await call(odata, `${FEED}TopItems?$filter=window eq`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body as string)).toEqual({
      error: { code: 'BadRequest', message: expect.stringContaining('$filter') as unknown },
    });
  });

  it('reflects new detections on the next request (what a scheduled refresh reads)', async () => {
    await countChanges(
      [
        {
          partition: 'p9',
          sequence: 1,
          detectionOid: '5000',
          locationOid: '12',
          location: 'Place 12',
          itemName: 'tram',
          timestampMs: HOUR_11,
        },
      ],
      { counters: services.counters, clock: services.clock },
    );
    const rows = await readFeed("TopItems?$filter=window eq 'all' and geographical_location_oid eq 12", 10);
    expect(rows.map((row) => [row['item_name'], row['item_count']])).toEqual([['tram', '2']]);
  });
});
