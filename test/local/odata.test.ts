/**
 * The OData feed of the real local runtime, over HTTP, read with a real OData client library
 * (@odata/client): its rows equal GET /api/top-items, 64-bit oids above 2^53 come back exactly,
 * $metadata is CSDL XML with Edm.Int64 oids, and following @odata.nextLink yields every row once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OData, RawString } from '@odata/client';
import { XMLValidator } from 'fast-xml-parser';
import { getJson, startTestRuntime, waitForDrain } from '../support/runtime';
import { type RuntimeProcess } from '../../tools/lib/runtime';
import { specColumns } from '../support/topItemRows';

jest.setTimeout(300_000);

const BIG = '9007199254740993';
const BIG_NEIGHBOUR = '9007199254740992';
const TOP = 3;
const HOUR_10 = Date.UTC(2026, 10, 22, 10, 5);
const HOUR_11 = Date.UTC(2026, 10, 22, 11, 20);
const STRINGS = 'application/json;odata.metadata=minimal;IEEE754Compatible=true';

let dataDir: string;
let runtime: RuntimeProcess;

/** Event JSON written by hand, so the big oids travel as JSON numbers, not as strings. */
function eventText(detection: number, location: string, item: string, timestamp: number): string {
  return `{"geographical_location_oid":${location},"video_camera_oid":${location}0,"detection_oid":${detection},"item_name":${JSON.stringify(item)},"timestamp_detected":${timestamp}}`;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'odata-runtime-'));
  const datasetB = join(dataDir, 'locations.csv');
  writeFileSync(
    datasetB,
    `geographical_location_oid,geographical_location\n${BIG},Big Square\n${BIG_NEIGHBOUR},Next Door\n1,Market Square\n2,Station Road\n`,
  );
  runtime = await startTestRuntime({
    dataDir: join(dataDir, 'data'),
    env: { DATASET_B_PATH: datasetB, MATERIALIZED_TOP: String(TOP), PARTITIONS: '2' },
  });
  const events: string[] = [];
  let detection = 1;
  const add = (location: string, item: string, times: number, timestamp: number) => {
    for (let i = 0; i < times; i += 1) events.push(eventText(detection++, location, item, timestamp));
  };
  add(BIG, 'car', 6, HOUR_10);
  add(BIG, 'bus', 4, HOUR_11);
  add(BIG, 'bike', 2, HOUR_10);
  add(BIG, 'van', 2, HOUR_11);
  add(BIG, 'dog', 1, HOUR_10);
  add(BIG_NEIGHBOUR, 'cat', 3, HOUR_10);
  add('1', 'tram', 2, HOUR_11);
  add('2', 'taxi', 1, HOUR_10);
  add('77', 'ghost', 1, HOUR_11);
  const response = await fetch(`${runtime.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `[${events.join(',')}]`,
  });
  expect(response.status).toBe(202);
  expect(((await response.json()) as { accepted: number }).accepted).toBe(events.length);
  await waitForDrain(runtime.url);
});

afterAll(async () => {
  await runtime?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface FeedPage {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
}

function client(pageSize: number) {
  return OData.New4({
    serviceEndpoint: `${runtime.url}/api/odata/`,
    commonHeaders: { Accept: STRINGS, Prefer: `odata.maxpagesize=${pageSize}` },
  });
}

/** The first page through the client, then @odata.nextLink as given, as Power BI follows it. */
async function readAll(pageSize: number, build: (odata: ReturnType<typeof client>) => ReturnType<ReturnType<typeof client>['newOptions']>) {
  const odata = client(pageSize);
  const first = (await odata.newRequest({ collection: 'TopItems', params: build(odata) })) as unknown as FeedPage;
  const pages: FeedPage[] = [first];
  for (let next = first['@odata.nextLink']; next;) {
    const response = await fetch(next, { headers: { accept: STRINGS, prefer: `odata.maxpagesize=${pageSize}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as FeedPage;
    pages.push(page);
    next = page['@odata.nextLink'];
    if (pages.length > 1000) throw new Error('next links never end');
  }
  return { pages, rows: pages.flatMap((page) => page.value) };
}

describe('the OData feed of the local runtime', () => {
  it('serves, page by page, the rows of GET /api/top-items?window=all&top=MATERIALIZED_TOP', async () => {
    const expected = await getJson<Record<string, unknown>[]>(`${runtime.url}/api/top-items?window=all&top=${TOP}`);
    const { pages, rows } = await readAll(2, (odata) => odata.newOptions().filter(odata.newFilter().property('window').eq('all')));
    expect(pages.length).toBeGreaterThan(2);
    expect(rows.map(specColumns)).toEqual(expected);
    expect(new Set(rows.map((row) => row['id'])).size).toBe(rows.length);
    // the cut at MATERIALIZED_TOP, and the oid above 2^53, exactly
    expect(rows.filter((row) => row['geographical_location_oid'] === BIG).map((row) => [row['item_name'], row['item_count']])).toEqual([
      ['car', '6'],
      ['bus', '4'],
      ['bike', '2'],
    ]);
    expect(rows.find((row) => row['geographical_location_oid'] === '77')?.['geographical_location']).toBeNull();
  });

  it('filters on a 64-bit oid exactly and keeps 2^53 and 2^53+1 apart', async () => {
    const { rows } = await readAll(1000, (odata) =>
      odata
        .newOptions()
        .filter(odata.newFilter().property('geographical_location_oid').eq(RawString.from(BIG)).property('window').eq('all'))
        .orderby('item_rank', 'asc'),
    );
    expect(rows.map((row) => [row['geographical_location_oid'], row['item_rank'], row['item_name']])).toEqual([
      [BIG, 1, 'car'],
      [BIG, 2, 'bus'],
      [BIG, 3, 'bike'],
    ]);
    const neighbour = await readAll(1000, (odata) =>
      odata.newOptions().filter(odata.newFilter().property('geographical_location_oid').eq(RawString.from(BIG_NEIGHBOUR))),
    );
    expect(new Set(neighbour.rows.map((row) => row['geographical_location_oid']))).toEqual(new Set([BIG_NEIGHBOUR]));
  });

  it('writes Int64 as exact JSON numbers when IEEE754Compatible is not asked for', async () => {
    const response = await fetch(
      `${runtime.url}/api/odata/TopItems?$filter=${encodeURIComponent(`geographical_location_oid eq ${BIG} and item_rank eq 1 and window eq 'all'`)}`,
    );
    expect(response.headers.get('odata-version')).toBe('4.0');
    expect(response.headers.get('content-type')).toContain('IEEE754Compatible=false');
    const text = await response.text();
    expect(text).toContain(`"geographical_location_oid":${BIG},`);
    expect(text).toContain('"item_count":6,');
  });

  it('keeps hourly rows too, equal to the hour query of the API', async () => {
    const hour = '2026-11-22T11';
    const expected = await getJson<Record<string, unknown>[]>(`${runtime.url}/api/top-items?window=hour:${hour}&top=${TOP}`);
    const { rows } = await readAll(1, (odata) => odata.newOptions().filter(`window eq 'hour:${hour}'`));
    expect(rows.map(specColumns)).toEqual(expected);
    expect(rows.every((row) => row['window_start'] === '2026-11-22T11:00:00.000Z')).toBe(true);
  });

  it('serves $metadata as CSDL XML with Edm.Int64 oids, and Dataset B as Locations', async () => {
    const metadata = await fetch(`${runtime.url}/api/odata/$metadata`);
    expect(metadata.headers.get('content-type')).toContain('application/xml');
    const xml = await metadata.text();
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<Property Name="geographical_location_oid" Type="Edm.Int64" Nullable="false"/>');
    const locations = (await client(1000).newRequest({ collection: 'Locations' })) as unknown as FeedPage;
    expect(locations.value).toEqual([
      { geographical_location_oid: '1', geographical_location: 'Market Square' },
      { geographical_location_oid: '2', geographical_location: 'Station Road' },
      { geographical_location_oid: BIG_NEIGHBOUR, geographical_location: 'Next Door' },
      { geographical_location_oid: BIG, geographical_location: 'Big Square' },
    ]);
  });

  it('answers bad queries with an OData error, not a 5xx', async () => {
    const response = await fetch(`${runtime.url}/api/odata/TopItems?$filter=${encodeURIComponent('item_rank eq')}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
  });
});
