import { ODataError } from '../../../shared/odata/errors';
import { negotiateFormat, preferredPageSize } from '../../../shared/odata/format';
import { TOP_ITEM_TYPE } from '../../../shared/odata/model';
import { decodeSkipToken, encodeSkipToken, parseQueryOptions } from '../../../shared/odata/query';

const parse = (query: string) => parseQueryOptions(new URLSearchParams(query), TOP_ITEM_TYPE);
const headers = (values: Record<string, string>) => new Headers(values);

function refusal(run: () => unknown): ODataError {
  try {
    run();
  } catch (error) {
    if (error instanceof ODataError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('system query options', () => {
  it('reads $top, $skip, $count, $orderby and $select', () => {
    const options = parse('$top=5&$skip=10&$count=true&$orderby=item_count desc,item_name&$select=item_name,geographical_location_oid');
    expect(options.top).toBe(5);
    expect(options.skip).toBe(10);
    expect(options.count).toBe(true);
    expect(options.orderBy).toEqual([
      { property: 'item_count', descending: true },
      { property: 'item_name', descending: false },
    ]);
    // in model order, whatever order they were asked in
    expect(options.select).toEqual(['geographical_location_oid', 'item_name']);
  });

  it('selects everything for $select=*', () => {
    expect(parse('$select=*').select).toBeUndefined();
  });

  it('accepts option names in any case and leaves custom options such as the function key alone', () => {
    const options = parse('$TOP=2&code=secret-key&$Filter=item_rank eq 1');
    expect(options.top).toBe(2);
    expect(options.filter).toBeDefined();
  });

  it.each([
    ['$top=-1', 400, '$top must be a whole number'],
    ['$top=ten', 400, '$top must be a whole number'],
    ['$skip=1.5', 400, '$skip must be a whole number'],
    ['$count=yes', 400, '$count must be true or false'],
    ['$orderby=nope', 400, 'not a property'],
    ['$orderby=item_rank sideways', 400, 'not a property name optionally followed by asc or desc'],
    ['$select=item_rank,nope', 400, 'nope is not a property'],
    ['$top=1&$top=2', 400, 'more than once'],
    ['$bogus=1', 400, 'not a system query option'],
    ['$expand=Location', 501, 'not supported'],
    ['$search=car', 501, 'not supported'],
    ['$apply=groupby((window))', 501, 'not supported'],
    ['$skiptoken=garbage!', 400, '$skiptoken'],
  ])('%s → %d', (query, status, message) => {
    const error = refusal(() => parse(query));
    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
  });

  it('carries $filter, $orderby, $select and $count into next links, but not $top, $skip or custom options', () => {
    const options = parse("$filter=window eq 'all'&$orderby=item_rank&$top=3&$skip=1&$select=item_name&$count=true&code=k");
    expect(options.carried).toEqual([
      ['$filter', "window eq 'all'"],
      ['$orderby', 'item_rank'],
      ['$select', 'item_name'],
      ['$count', 'true'],
    ]);
  });
});

describe('$skiptoken', () => {
  it('round-trips the position and the remaining $top, keeping 64-bit oids as text', () => {
    const token = { after: ['all', '9007199254740993', 3], remaining: 17 };
    expect(decodeSkipToken(encodeSkipToken(token))).toEqual(token);
    expect(encodeSkipToken(token)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses tokens it did not issue', () => {
    for (const text of ['', 'bm90IGpzb24', Buffer.from('[[{}],null]').toString('base64url'), Buffer.from('[[],0]').toString('base64url')]) {
      expect(refusal(() => decodeSkipToken(text)).status).toBe(400);
    }
  });
});

describe('content negotiation', () => {
  it('writes Int64 as numbers unless the client asks for IEEE754Compatible=true', () => {
    expect(negotiateFormat(headers({ accept: 'application/json' }), undefined).ieee754Compatible).toBe(false);
    expect(negotiateFormat(headers({}), undefined).ieee754Compatible).toBe(false);
  });

  it.each([
    [{ accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' }, undefined],
    [{ accept: 'application/json; ieee754compatible=TRUE' }, undefined],
    [{ accept: 'text/html, application/json;IEEE754Compatible=true;q=0.9' }, undefined],
    [{ 'content-type': 'application/json;IEEE754Compatible=true' }, undefined],
    [{}, 'application/json;IEEE754Compatible=true'],
    [{}, 'json;IEEE754Compatible=true'],
  ])('sees IEEE754Compatible=true in %j / $format=%s', (values, format) => {
    expect(negotiateFormat(headers(values), format).ieee754Compatible).toBe(true);
  });

  it('honours odata.metadata=none', () => {
    expect(negotiateFormat(headers({ accept: 'application/json;odata.metadata=none' }), undefined).metadata).toBe('none');
    expect(negotiateFormat(headers({ accept: 'application/json;odata.metadata=full' }), undefined).metadata).toBe('minimal');
  });

  it('refuses formats other than JSON with 406', () => {
    expect(refusal(() => negotiateFormat(headers({}), 'atom')).status).toBe(406);
    expect(refusal(() => negotiateFormat(headers({}), 'xml')).status).toBe(406);
  });

  it('reads Prefer: odata.maxpagesize among other preferences', () => {
    expect(preferredPageSize(headers({ prefer: 'odata.include-annotations="*", odata.maxpagesize=50' }))).toBe(50);
    expect(preferredPageSize(headers({ prefer: 'maxpagesize=7' }))).toBe(7);
    expect(preferredPageSize(headers({ prefer: 'odata.maxpagesize=0' }))).toBeUndefined();
    expect(preferredPageSize(headers({}))).toBeUndefined();
  });
});
