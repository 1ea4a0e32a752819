import { type EntitySetDef, LOCATIONS_SET, type ODataRow, topItemKey } from '../../../shared/odata/model';
import { type ODataDataSource, type ODataResponse, type RowQuery, serveOData } from '../../../shared/odata/service';

const ROOT = 'http://feed.test/api/odata/';

function topItem(window: string, oid: string, rank: number, name: string, count: number): ODataRow {
  const hour = window.startsWith('hour:') ? window.slice(5) : null;
  return {
    id: topItemKey(window, oid, rank),
    geographical_location_oid: oid,
    geographical_location: oid === '3' ? null : `Place ${oid}`,
    item_rank: rank,
    item_name: name,
    item_count: count,
    window,
    window_start: hour ? `${hour}:00:00.000Z` : null,
    window_end: null,
    updated_at: '2026-11-22T10:00:00.000Z',
  };
}

/** Rows with big and small oids, several windows and many ties in item_count and item_name. */
function sampleRows(): ODataRow[] {
  const oids = ['3', '10', '9', '9007199254740993', '9007199254740992', '-5'];
  const windows = ['all', 'hour:2026-11-22T09', 'hour:2026-11-22T10'];
  const rows: ODataRow[] = [];
  for (const window of windows)
    for (const oid of oids)
      for (let rank = 1; rank <= 10; rank += 1)
        rows.push(topItem(window, oid, rank, `item${(rank * 7) % 4}`, 20 - rank - (oid.length % 3)));
  return rows;
}

class FakeSource implements ODataDataSource {
  readonly queries: { set: string; window?: readonly string[]; oid?: readonly string[]; id?: readonly string[] }[] = [];
  constructor(
    public topItems: ODataRow[],
    public locations: ODataRow[] = [],
  ) {}
  rows(set: EntitySetDef, query: RowQuery): Promise<readonly ODataRow[]> {
    const window = query.values('window');
    const oid = query.values('geographical_location_oid');
    const id = query.values('id');
    this.queries.push({ set: set.name, ...(window ? { window } : {}), ...(oid ? { oid } : {}), ...(id ? { id } : {}) });
    return Promise.resolve(set.name === LOCATIONS_SET ? this.locations : this.topItems);
  }
}

function get(source: ODataDataSource, path: string, headers: Record<string, string> = {}, options = {}): Promise<ODataResponse> {
  return serveOData(
    { method: 'GET', url: path.startsWith('http') ? path : `${ROOT}${path}`, headers: new Headers(headers) },
    source,
    options,
  );
}

interface Collection {
  '@odata.context'?: string;
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

function body(response: ODataResponse): Collection {
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as Collection;
}

/** Follows @odata.nextLink to the end, as Power BI does. */
async function readAll(source: ODataDataSource, path: string, pageSize: number, headers: Record<string, string> = {}) {
  const pages: Collection[] = [];
  let url: string | undefined = `${ROOT}${path}`;
  while (url) {
    const page = body(await get(source, url, { ...headers, prefer: `odata.maxpagesize=${pageSize}` }));
    pages.push(page);
    expect(page.value.length).toBeLessThanOrEqual(pageSize);
    url = page['@odata.nextLink'];
    if (pages.length > 10_000) throw new Error('next links never end');
  }
  return { pages, rows: pages.flatMap((page) => page.value) };
}

const ids = (rows: Record<string, unknown>[]) => rows.map((row) => row['id'] as string);

describe('server-driven paging', () => {
  const queries = [
    '',
    '$orderby=item_count desc',
    '$orderby=item_name,geographical_location_oid desc',
    "$filter=window eq 'all'&$orderby=geographical_location_oid desc",
    '$orderby=window_start desc,item_count',
    '$top=100',
    '$skip=7&$top=33&$orderby=item_count',
    '$skip=170',
    '$top=0',
  ];

  it.each(queries)('follows next links to the same rows as one page, none lost or repeated: %s', async (query) => {
    const source = new FakeSource(sampleRows());
    const whole = body(await get(source, `TopItems?${query}`, { prefer: 'odata.maxpagesize=100000' }));
    expect(whole['@odata.nextLink']).toBeUndefined();
    for (const pageSize of [1, 7, 64, 1000]) {
      const { rows } = await readAll(source, `TopItems?${query}`, pageSize);
      expect(ids(rows)).toEqual(ids(whole.value));
      expect(new Set(ids(rows)).size).toBe(rows.length);
    }
  });

  it('orders by the requested properties, then by window, oid (numerically) and rank', async () => {
    const source = new FakeSource(sampleRows());
    // Strings for Int64, so the test's own JSON.parse keeps ...993 and ...992 apart.
    const { rows } = await readAll(source, 'TopItems?$orderby=item_count desc', 13, { accept: 'application/json;IEEE754Compatible=true' });
    expect(rows).toHaveLength(180);
    for (let index = 1; index < rows.length; index += 1) {
      const [a, b] = [rows[index - 1] as Record<string, unknown>, rows[index] as Record<string, unknown>];
      const key = (row: Record<string, unknown>) =>
        [
          -Number(row['item_count']),
          row['window'] as string,
          BigInt(row['geographical_location_oid'] as string),
          row['item_rank'] as number,
        ] as const;
      const [ka, kb] = [key(a), key(b)];
      const order =
        ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0) || (ka[2] < kb[2] ? -1 : ka[2] > kb[2] ? 1 : 0) || ka[3] - kb[3];
      expect(order).toBeLessThan(0);
    }
  });

  it('honours $top across pages and serves exactly $top rows', async () => {
    const source = new FakeSource(sampleRows());
    const { pages, rows } = await readAll(source, 'TopItems?$top=25&$skip=3', 10);
    expect(pages.map((page) => page.value.length)).toEqual([10, 10, 5]);
    expect(rows).toHaveLength(25);
  });

  it('uses the server maximum page size when the client states no preference', async () => {
    const source = new FakeSource(sampleRows());
    const first = body(await get(source, 'TopItems', {}, { maxPageSize: 50 }));
    expect(first.value).toHaveLength(50);
    expect(first['@odata.nextLink']).toMatch(/^http:\/\/feed\.test\/api\/odata\/TopItems\?\$skiptoken=/);
    const capped = await get(source, 'TopItems', { prefer: 'odata.maxpagesize=5000' }, { maxPageSize: 50 });
    expect(body(capped).value).toHaveLength(50);
    expect(capped.headers['Preference-Applied']).toBe('odata.maxpagesize=50');
  });

  it('neither repeats nor skips rows when rows are added or removed between pages', async () => {
    const rows = sampleRows().filter((row) => row['window'] === 'all');
    const source = new FakeSource(rows);
    const whole = ids(body(await get(new FakeSource(rows), 'TopItems')).value);
    const first = body(await get(source, 'TopItems', { prefer: 'odata.maxpagesize=20' }));
    const seen = ids(first.value);
    // Remove a row already served and add one before and one after the position reached.
    source.topItems = [
      ...rows.filter((row) => row['id'] !== seen[0]),
      topItem('all', '-100', 1, 'early', 1),
      topItem('all', '9007199254740999', 1, 'late', 1),
    ];
    let url = first['@odata.nextLink'];
    const rest: string[] = [];
    while (url) {
      const page = body(await get(source, url, { prefer: 'odata.maxpagesize=20' }));
      rest.push(...ids(page.value));
      url = page['@odata.nextLink'];
    }
    const expectedRest = whole.filter((id) => !seen.includes(id));
    expect(rest).toEqual([...expectedRest, 'all|9007199254740999|1']);
  });

  it('keeps $filter, $select, $count and custom options such as the function key in the next link', async () => {
    const source = new FakeSource(sampleRows());
    const first = body(
      await get(source, "TopItems?code=my-key&$filter=window eq 'all'&$select=id,item_name&$count=true", {
        prefer: 'odata.maxpagesize=10',
      }),
    );
    const next = new URL(first['@odata.nextLink'] as string);
    expect(next.searchParams.get('code')).toBe('my-key');
    expect(next.searchParams.get('$filter')).toBe("window eq 'all'");
    expect(next.searchParams.get('$select')).toBe('id,item_name');
    const second = body(await get(source, next.href, { prefer: 'odata.maxpagesize=10' }));
    expect(second['@odata.count']).toBe(60);
    expect(Object.keys(second.value[0] ?? {})).toEqual(['id', 'item_name']);
  });

  it('refuses a skip token that does not fit the query', async () => {
    const source = new FakeSource(sampleRows());
    const first = body(await get(source, 'TopItems', { prefer: 'odata.maxpagesize=10' }));
    const token = new URL(first['@odata.nextLink'] as string).searchParams.get('$skiptoken') as string;
    const response = await get(source, `TopItems?$orderby=item_name&$skiptoken=${token}`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'BadRequest', message: expect.stringContaining('$skiptoken') as unknown } });
  });
});

describe('resources', () => {
  it('answers the service document with both entity sets', async () => {
    for (const path of ['', ROOT.slice(0, -1)]) {
      const response = await get(new FakeSource([]), path);
      expect(response.headers['OData-Version']).toBe('4.0');
      expect(JSON.parse(response.body)).toEqual({
        '@odata.context': `${ROOT}$metadata`,
        value: [
          { name: 'TopItems', kind: 'EntitySet', url: 'TopItems' },
          { name: 'Locations', kind: 'EntitySet', url: 'Locations' },
        ],
      });
    }
  });

  it('answers $metadata as XML, also percent-encoded', async () => {
    for (const path of ['$metadata', '%24metadata']) {
      const response = await get(new FakeSource([]), path);
      expect(response.status).toBe(200);
      expect(response.headers['Content-Type']).toBe('application/xml');
      expect(response.body).toContain('<edmx:Edmx Version="4.0"');
    }
  });

  it('gives the context URL of the selection and leaves it out for odata.metadata=none', async () => {
    const source = new FakeSource(sampleRows());
    expect(body(await get(source, 'TopItems?$select=item_name,id&$top=1'))['@odata.context']).toBe(
      `${ROOT}$metadata#TopItems(id,item_name)`,
    );
    expect(
      body(await get(source, 'TopItems?$top=1', { accept: 'application/json;odata.metadata=none' }))['@odata.context'],
    ).toBeUndefined();
  });

  it('counts with $count=true and with the /$count segment, after the filter', async () => {
    const source = new FakeSource(sampleRows());
    expect(body(await get(source, "TopItems?$count=true&$top=1&$filter=window eq 'all'"))['@odata.count']).toBe(60);
    const segment = await get(source, "TopItems/$count?$filter=window eq 'all' and item_rank le 2");
    expect(segment.headers['Content-Type']).toBe('text/plain');
    expect(segment.body).toBe('12');
  });

  it('reads one entity by key, string or 64-bit integer, and 404s a missing one', async () => {
    const source = new FakeSource(sampleRows(), [{ geographical_location_oid: '9007199254740993', geographical_location: 'Big' }]);
    const item = JSON.parse((await get(source, "TopItems('all%7C9007199254740993%7C2')")).body) as Record<string, unknown>;
    expect(item['@odata.context']).toBe(`${ROOT}$metadata#TopItems/$entity`);
    expect(item['item_rank']).toBe(2);
    expect(source.queries.at(-1)).toEqual({ set: 'TopItems', id: ['all|9007199254740993|2'] });
    const location = await get(source, 'Locations(geographical_location_oid=009007199254740993)', {
      accept: 'application/json;IEEE754Compatible=true',
    });
    expect(JSON.parse(location.body)).toMatchObject({ geographical_location_oid: '9007199254740993', geographical_location: 'Big' });
    expect((await get(source, 'Locations(9007199254740992)')).status).toBe(404);
    expect((await get(source, 'Locations(abc)')).status).toBe(400);
    expect((await get(source, 'TopItems(all)')).status).toBe(400);
  });

  it('tells the data source which windows and locations the filter can match', async () => {
    const source = new FakeSource([]);
    await get(source, "TopItems?$filter=window eq 'all' and geographical_location_oid eq 9007199254740993 and item_rank le 3");
    expect(source.queries.at(-1)).toEqual({ set: 'TopItems', window: ['all'], oid: ['9007199254740993'] });
  });

  it.each([
    ['Nope', 404, 'NotFound'],
    ['TopItems/item_name', 404, 'NotFound'],
    ["TopItems('all|1|1')/item_name", 501, 'NotImplemented'],
    ['$batch', 501, 'NotImplemented'],
    ['TopItems?$format=atom', 406, 'NotAcceptable'],
    ["TopItems?$filter=item_rank eq 'x'", 400, 'BadRequest'],
  ])('%s → %d with an OData error body', async (path, status, code) => {
    const response = await get(new FakeSource(sampleRows()), path);
    expect(response.status).toBe(status);
    expect(response.headers['Content-Type']).toMatch(/^application\/json/);
    const parsed = JSON.parse(response.body) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe(code);
    expect(parsed.error.message.length).toBeGreaterThan(10);
  });

  it('is read-only: other methods get 405, HEAD is answered like GET', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await serveOData({ method, url: `${ROOT}TopItems`, headers: new Headers() }, new FakeSource([]));
      expect(response.status).toBe(405);
      expect(response.headers['Allow']).toBe('GET, HEAD');
    }
    const head = await serveOData({ method: 'HEAD', url: `${ROOT}TopItems`, headers: new Headers() }, new FakeSource([]));
    expect(head.status).toBe(200);
  });

  it('serves $metadata for $format=xml and refuses $format=json there', async () => {
    expect((await get(new FakeSource([]), '$metadata?$format=xml')).status).toBe(200);
    expect((await get(new FakeSource([]), '$metadata?$format=json')).status).toBe(406);
  });

  it('404s a URL outside the service root', async () => {
    expect((await get(new FakeSource([]), 'http://feed.test/api/other')).status).toBe(404);
  });
});
