import { parse as parseLossless } from 'lossless-json';
import { writeCollection, writeEntity } from '../../../shared/odata/json';
import { LOCATION_TYPE, type ODataRow, TOP_ITEM_TYPE } from '../../../shared/odata/model';

const numbers = { ieee754Compatible: false, metadata: 'minimal' } as const;
const strings = { ieee754Compatible: true, metadata: 'minimal' } as const;

const bigRow: ODataRow = {
  id: 'all|9007199254740993|1',
  geographical_location_oid: '9007199254740993',
  geographical_location: null,
  item_rank: 1,
  item_name: 'car "red"',
  item_count: 3,
  window: 'all',
  window_start: null,
  window_end: null,
  updated_at: '2026-11-22T10:00:00.000Z',
};

describe('OData JSON writer', () => {
  it('writes Edm.Int64 as a bare JSON number from its digits, exact beyond 2^53', () => {
    const text = writeCollection({ context: 'ctx', rows: [bigRow], type: TOP_ITEM_TYPE, select: undefined }, numbers);
    expect(text).toContain('"geographical_location_oid":9007199254740993,');
    expect(text).toContain('"item_count":3,');
    // A lossless reader sees the exact digits; a double would have made it ...992.
    const parsed = parseLossless(text) as { value: { geographical_location_oid: { value: string } }[] };
    expect(parsed.value[0]?.geographical_location_oid.value).toBe('9007199254740993');
  });

  it('writes Edm.Int64 (and @odata.count) as strings under IEEE754Compatible=true, Int32 stays a number', () => {
    const text = writeCollection({ context: 'ctx', count: 1, rows: [bigRow], type: TOP_ITEM_TYPE, select: undefined }, strings);
    const parsed = JSON.parse(text) as { '@odata.count': unknown; value: Record<string, unknown>[] };
    expect(parsed['@odata.count']).toBe('1');
    expect(parsed.value[0]?.['geographical_location_oid']).toBe('9007199254740993');
    expect(parsed.value[0]?.['item_count']).toBe('3');
    expect(parsed.value[0]?.['item_rank']).toBe(1);
  });

  it('escapes strings, writes nulls, and orders members context, count, value, nextLink', () => {
    const text = writeCollection(
      { context: 'c', count: 1, rows: [bigRow], type: TOP_ITEM_TYPE, select: undefined, nextLink: 'http://x/next' },
      numbers,
    );
    const parsed = JSON.parse(text) as Record<string, unknown> & { value: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['@odata.context', '@odata.count', 'value', '@odata.nextLink']);
    expect(parsed.value[0]?.['item_name']).toBe('car "red"');
    expect(parsed.value[0]?.['window_start']).toBeNull();
  });

  it('writes only the selected properties', () => {
    const text = writeCollection({ context: undefined, rows: [bigRow], type: TOP_ITEM_TYPE, select: ['item_name', 'item_rank'] }, numbers);
    expect(JSON.parse(text)).toEqual({ value: [{ item_rank: 1, item_name: 'car "red"' }] });
  });

  it('writes a single entity with its context', () => {
    const text = writeEntity(
      'ctx/$entity',
      { geographical_location_oid: '-9223372036854775808', geographical_location: 'Edge' },
      LOCATION_TYPE,
      undefined,
      numbers,
    );
    expect(text).toBe('{"@odata.context":"ctx/$entity","geographical_location_oid":-9223372036854775808,"geographical_location":"Edge"}');
  });

  it('refuses to write what the model says cannot be: a null in a non-nullable property, a non-integer Int64', () => {
    expect(() =>
      writeCollection({ context: undefined, rows: [{ ...bigRow, item_name: null }], type: TOP_ITEM_TYPE, select: undefined }, numbers),
    ).toThrow(/not nullable/);
    expect(() =>
      writeCollection({ context: undefined, rows: [{ ...bigRow, item_count: 1.5 }], type: TOP_ITEM_TYPE, select: undefined }, numbers),
    ).toThrow(/exact integer/);
    expect(() =>
      writeCollection(
        { context: undefined, rows: [{ ...bigRow, geographical_location_oid: '1e3' }], type: TOP_ITEM_TYPE, select: undefined },
        numbers,
      ),
    ).toThrow(/64-bit/);
  });
});
