import { ODataError } from '../../../shared/odata/errors';
import { constrainedValues, matches, parseFilter } from '../../../shared/odata/filter';
import { type ODataRow, TOP_ITEM_TYPE } from '../../../shared/odata/model';

const row = (overrides: Partial<Record<string, string | number | null>> = {}): ODataRow => ({
  id: 'all|7|1',
  geographical_location_oid: '7',
  geographical_location: 'Main Square',
  item_rank: 1,
  item_name: 'car',
  item_count: 12,
  window: 'all',
  window_start: null,
  window_end: null,
  updated_at: '2026-11-22T10:00:00.000Z',
  ...overrides,
});

const test = (filter: string, target: ODataRow = row()): boolean => matches(parseFilter(filter, TOP_ITEM_TYPE), target);

function refusal(filter: string): ODataError {
  try {
    parseFilter(filter, TOP_ITEM_TYPE);
  } catch (error) {
    if (error instanceof ODataError) return error;
    throw error;
  }
  throw new Error(`expected ${filter} to be refused`);
}

describe('$filter comparisons', () => {
  it.each([
    ["window eq 'all'", true],
    ["window ne 'all'", false],
    ['geographical_location_oid eq 7', true],
    ['geographical_location_oid eq 8', false],
    ['item_rank ge 1', true],
    ['item_rank gt 1', false],
    ['item_rank le 1', true],
    ['item_rank lt 1', false],
    ['item_count gt 11', true],
    ["item_name eq 'car'", true],
    ["item_name eq 'Car'", false],
  ])('%s is %s', (filter, expected) => {
    expect(test(filter)).toBe(expected);
  });

  it('compares 64-bit oids exactly, never through a double', () => {
    const big = row({ geographical_location_oid: '9007199254740993' });
    expect(test('geographical_location_oid eq 9007199254740993', big)).toBe(true);
    expect(test('geographical_location_oid eq 9007199254740992', big)).toBe(false);
    expect(test('geographical_location_oid gt 9007199254740992', big)).toBe(true);
    expect(test('geographical_location_oid le 9223372036854775807', big)).toBe(true);
    expect(test('geographical_location_oid ge -9223372036854775808', big)).toBe(true);
  });

  it('orders integers numerically, not as text', () => {
    expect(test('geographical_location_oid lt 10', row({ geographical_location_oid: '9' }))).toBe(true);
    expect(test('item_rank gt 9', row({ item_rank: 10 }))).toBe(true);
  });

  it('puts the literal on either side', () => {
    expect(test('7 eq geographical_location_oid')).toBe(true);
    expect(test('2 gt item_rank')).toBe(true);
  });

  it('compares DateTimeOffset values by instant, whatever the offset', () => {
    const hour = row({ window: 'hour:2026-11-22T10', window_start: '2026-11-22T10:00:00.000Z' });
    expect(test('window_start eq 2026-11-22T10:00:00Z', hour)).toBe(true);
    expect(test('window_start eq 2026-11-22T11:00:00+01:00', hour)).toBe(true);
    expect(test('window_start ge 2026-11-22T10:00:00.001Z', hour)).toBe(false);
    expect(test('window_start lt 2026-11-22T10:30Z', hour)).toBe(true);
  });

  it('handles null as OData does: eq null matches, an ordering comparison with null is false (not null)', () => {
    expect(test('window_start eq null')).toBe(true);
    expect(test('window_start ne null')).toBe(false);
    expect(test('window_start lt 2030-01-01T00:00:00Z')).toBe(false);
    expect(test('not (window_start lt 2030-01-01T00:00:00Z)')).toBe(true);
    // a function of null is null, and not null stays null: neither the condition nor its negation holds
    expect(test("not contains(geographical_location, 'x')", row({ geographical_location: null }))).toBe(false);
    expect(test('geographical_location eq null', row({ geographical_location: null }))).toBe(true);
  });

  it('reads doubled quotes inside a string literal as one quote', () => {
    expect(test("item_name eq 'driver''s bag'", row({ item_name: "driver's bag" }))).toBe(true);
  });
});

describe('$filter logic', () => {
  it('binds and tighter than or', () => {
    // (window eq 'x' and item_rank eq 1) or item_rank eq 1 → true; window eq 'x' and (item_rank eq 2 or ...) differs
    expect(test("window eq 'x' and item_rank eq 2 or item_rank eq 1")).toBe(true);
    expect(test("window eq 'x' and (item_rank eq 2 or item_rank eq 1)")).toBe(false);
  });

  it('applies not to the comparison that follows it', () => {
    expect(test("not window eq 'all'")).toBe(false);
    expect(test("not window eq 'x' and item_rank eq 1")).toBe(true);
  });

  it('supports in lists', () => {
    expect(test("window in ('hour:2026-11-22T10', 'all')")).toBe(true);
    expect(test('geographical_location_oid in (1, 2, 3)')).toBe(false);
  });

  it('supports string functions, including comparing their result with true', () => {
    expect(test("contains(item_name, 'ar')")).toBe(true);
    expect(test("startswith(item_name, 'ca') and endswith(item_name, 'r')")).toBe(true);
    expect(test("contains(item_name, 'bus') eq true")).toBe(false);
    expect(test("tolower(geographical_location) eq 'main square'")).toBe(true);
    expect(test('length(item_name) eq 3')).toBe(true);
    expect(test("contains(geographical_location, 'x')", row({ geographical_location: null }))).toBe(false);
  });

  it('keeps the whole Power BI style filter working', () => {
    const filter = "(window eq 'all' and geographical_location_oid ge 5 and geographical_location_oid le 9) and item_rank le 3";
    expect(test(filter)).toBe(true);
    expect(test(filter, row({ item_rank: 4 }))).toBe(false);
  });

  it('accepts the filter the shipped Power Query folds (seven-digit fractions, explicit offsets)', () => {
    const filter = "window eq 'all' or (window_start ne null and window_start ge 2026-11-20T10:00:00.0000000+00:00)";
    expect(test(filter)).toBe(true);
    expect(test(filter, row({ window: 'hour:2026-11-22T09', window_start: '2026-11-22T09:00:00.000Z' }))).toBe(true);
    expect(test(filter, row({ window: 'hour:2026-11-19T09', window_start: '2026-11-19T09:00:00.000Z' }))).toBe(false);
  });
});

describe('$filter refusals', () => {
  it.each([
    ['foo eq 1', 'not a property'],
    ["window eq 'all", 'not closed'],
    ['item_rank eq 1.5', 'not supported'],
    ['item_rank eq 12L', 'not supported'],
    ["item_rank eq 'one'", 'cannot compare'],
    ['window_start eq 2026-11-22', 'without a time'],
    ["window eq 'all' and", 'ends too early'],
    ["(window eq 'all'", "expected ')'"],
    ["window eq 'all')", "unexpected ')'"],
    ['item_rank add 1 eq 2', "unexpected 'add'"],
    ["substringof('a', item_name)", 'not supported'],
    ['item_rank', 'must be a condition'],
    ['geographical_location_oid eq 9223372036854775808', 'outside the signed 64-bit range'],
    ['item_rank eq 1 and 2', 'must be conditions'],
    ["window eq 'all' & item_rank eq 1", "unexpected character '&'"],
    ['geo.distance(x, y) lt 1', "unexpected character '.'"],
  ])('%s → 400 (%s)', (filter, reason) => {
    const error = refusal(filter);
    expect(error.status).toBe(400);
    expect(error.code).toBe('BadRequest');
    expect(error.message).toContain(reason);
  });

  it('refuses absurdly deep nesting instead of overflowing the stack', () => {
    expect(refusal(`${'('.repeat(200)}item_rank eq 1${')'.repeat(200)}`).message).toContain('nested deeper');
  });
});

describe('constrainedValues (what a data source may read)', () => {
  const values = (filter: string, property: string) => constrainedValues(parseFilter(filter, TOP_ITEM_TYPE), property);

  it('pins a property compared with eq in a conjunction', () => {
    expect(values("window eq 'all' and geographical_location_oid eq 9007199254740993", 'geographical_location_oid')).toEqual([
      '9007199254740993',
    ]);
    expect(values("window eq 'all' and item_rank le 3", 'window')).toEqual(['all']);
  });

  it('unites an or of equalities and reads in lists', () => {
    expect(values("window eq 'all' or window eq 'hour:2026-11-22T10'", 'window')).toEqual(['all', 'hour:2026-11-22T10']);
    expect(values('geographical_location_oid in (1, 2)', 'geographical_location_oid')).toEqual(['1', '2']);
  });

  it('intersects conflicting conjuncts to nothing', () => {
    expect(values("window eq 'all' and window eq 'hour:2026-11-22T10'", 'window')).toEqual([]);
  });

  it('does not pin what the filter leaves open', () => {
    expect(values("window eq 'all' or item_rank eq 1", 'window')).toBeUndefined();
    expect(values("window ne 'all'", 'window')).toBeUndefined();
    expect(values("not (window eq 'all')", 'window')).toBeUndefined();
    expect(constrainedValues(undefined, 'window')).toBeUndefined();
  });
});
