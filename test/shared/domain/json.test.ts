import { LosslessNumber } from 'lossless-json';
import { BodyError, decodeUtf8, hasRiskyNumber, parseEventRows, parseJsonExact } from '../../../shared/domain/json';
import { isNumericText } from '../../../shared/domain/ids';

const values = (rows: ReturnType<typeof parseEventRows>) => rows.map((row) => ('value' in row ? row.value : row));

describe('parseJsonExact', () => {
  it('takes the fast path for text with no number a double could change', () => {
    const parsed = parseJsonExact('{"a":123456789012345,"b":"x","c":[true,null]}');
    expect(parsed).toEqual({ a: 123456789012345, b: 'x', c: [true, null] });
  });

  it('keeps long integers, fractions and exponents as text on the slow path, and safe integers as numbers', () => {
    const parsed = parseJsonExact('{"id":9007199254740993,"small":7,"f":1.5,"e":2e3,"neg":-9223372036854775808}') as Record<
      string,
      unknown
    >;
    expect(parsed['small']).toBe(7);
    for (const [key, digits] of [
      ['id', '9007199254740993'],
      ['f', '1.5'],
      ['e', '2e3'],
      ['neg', '-9223372036854775808'],
    ] as const) {
      const value = parsed[key];
      expect(isNumericText(value) && value.value).toBe(digits);
    }
  });

  it('gives the same answer on both paths for a repeated key: the last value wins', () => {
    expect(parseJsonExact('{"a":1,"a":2}')).toEqual({ a: 2 });
    const slow = parseJsonExact('{"a":1,"a":2,"id":9007199254740993}') as Record<string, unknown>;
    expect(slow['a']).toBe(2);
  });

  it('never lets a __proto__ key set a prototype, on either path', () => {
    for (const text of ['{"__proto__":{"item_name":"x"}}', '{"__proto__":{"item_name":"x"},"id":9007199254740993}']) {
      const parsed = parseJsonExact(text) as Record<string, unknown>;
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
      expect(Object.hasOwn(parsed, 'item_name')).toBe(false);
      expect(({} as Record<string, unknown>)['item_name']).toBeUndefined();
    }
  });
});

describe('which path parseJsonExact takes', () => {
  afterEach(() => jest.restoreAllMocks());

  /** Parses with JSON.parse watched: true when the fast path read the text. */
  function readByJsonParse(text: string): { fast: boolean; value: unknown } {
    const spy = jest.spyOn(JSON, 'parse');
    const value = parseJsonExact(text);
    const fast = spy.mock.calls.some(([argument]) => argument === text);
    spy.mockRestore();
    return { fast, value };
  }

  it('takes the fast path when long digit runs, fractions and exponents are only inside strings', () => {
    const text =
      '[{"detection_oid":"12345678901234567890","note":"1.5e3 and \\"9007199254740993\\"","n":42},{"id":"-9223372036854775808","x":[1,2]}]';
    expect(hasRiskyNumber(text)).toBe(false);
    const { fast, value } = readByJsonParse(text);
    expect(fast).toBe(true);
    expect(value).toEqual([
      { detection_oid: '12345678901234567890', note: '1.5e3 and "9007199254740993"', n: 42 },
      { id: '-9223372036854775808', x: [1, 2] },
    ]);
  });

  it('still takes the exact path for an id above 2^53 sent as a JSON number, next to strings full of digits', () => {
    const text = '{"label":"0000000000000000000","detection_oid":9007199254740993,"after":"1.5"}';
    expect(hasRiskyNumber(text)).toBe(true);
    const { fast, value } = readByJsonParse(text);
    expect(fast).toBe(false);
    const parsed = value as Record<string, unknown>;
    // JSON.parse would have answered 9007199254740992.
    expect(parsed['detection_oid']).toBeInstanceOf(LosslessNumber);
    expect(String(parsed['detection_oid'])).toBe('9007199254740993');
    expect(parsed['label']).toBe('0000000000000000000');
    expect(parsed['after']).toBe('1.5');
  });

  it('judges numbers outside strings after escaped quotes and backslashes correctly', () => {
    expect(hasRiskyNumber('{"a":"ends with backslash \\\\","b":1.25}')).toBe(true);
    expect(hasRiskyNumber('{"a":"quote \\" then 1.25 inside","b":125}')).toBe(false);
    expect(hasRiskyNumber('{"a":1e5}')).toBe(true);
    expect(hasRiskyNumber('{"a":123456789012345}')).toBe(false);
    expect(hasRiskyNumber('{"a":1234567890123456}')).toBe(true);
    // The pattern keeps no state between calls.
    expect(hasRiskyNumber('{"a":1.5}')).toBe(true);
    expect(hasRiskyNumber('{"a":"1.5"}')).toBe(false);
  });

  it('refuses malformed text on either path, and an unterminated string costs one pass', () => {
    expect(() => parseJsonExact('{"a":"1234567890123456789')).toThrow();
    expect(() => parseJsonExact('["abc\\"')).toThrow();
    // Many escaped quotes and no closing one: one pass each, where a scan per quote would take ~10^12 steps.
    for (const hostile of ['["' + '\\"'.repeat(1_000_000), '["' + '\\"'.repeat(1_000_000) + '\\']) {
      expect(() => parseJsonExact(hostile)).toThrow();
    }
  });
});

describe('parseEventRows', () => {
  it('reads a JSON array as rows, with their indexes', () => {
    expect(parseEventRows('[{"a":1},{"a":2}]')).toEqual([
      { index: 0, value: { a: 1 } },
      { index: 1, value: { a: 2 } },
    ]);
  });

  it('reads a single object, even spread over lines', () => {
    expect(parseEventRows('{\n  "a": 1\n}\n')).toEqual([{ index: 0, value: { a: 1 } }]);
  });

  it('reads NDJSON, with an error per malformed line that names its line', () => {
    const rows = parseEventRows('{"a":1}\r\n\n{"a":\n{"a":3}\n');
    expect(rows[0]).toEqual({ index: 0, value: { a: 1 } });
    expect(rows[1]).toMatchObject({ index: 1, raw: '{"a":', error: expect.stringMatching(/^malformed JSON on NDJSON line 3:/) as unknown });
    expect(rows[2]).toEqual({ index: 2, value: { a: 3 } });
  });

  it('strips a byte order mark from text and from bytes', () => {
    expect(values(parseEventRows('\ufeff[{"a":1}]'))).toEqual([{ a: 1 }]);
    expect(values(parseEventRows(Buffer.from('\ufeff{"a":1}\n{"a":2}', 'utf8')))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('refuses bodies that are not JSON with a 400 and a reason', () => {
    const refusal = (body: string | Uint8Array) => {
      try {
        parseEventRows(body);
        return undefined;
      } catch (error) {
        return error instanceof BodyError ? [error.status, error.message] : error;
      }
    };
    expect(refusal('')).toEqual([400, 'the body is empty: send a JSON array of events or NDJSON']);
    expect(refusal('  \n ')).toEqual([400, 'the body is empty: send a JSON array of events or NDJSON']);
    expect(refusal('hello')).toEqual([400, 'the body is not JSON: send a JSON array of events or NDJSON']);
    expect(refusal('"a string"')).toEqual([400, 'the body is not JSON: send a JSON array of events or NDJSON']);
    expect(refusal('[1,2')).toEqual([400, expect.stringMatching(/^the body is not valid JSON/)]);
    expect(refusal(new Uint8Array([0x5b, 0xc3, 0x28, 0x5d]))).toEqual([400, 'the body is not valid UTF-8']);
  });

  it('turns nesting too deep for the parser into a 400, not a crash', () => {
    const deep = `[${'['.repeat(200_000)}9007199254740993${']'.repeat(200_000)}]`;
    expect(() => parseEventRows(deep)).toThrow(new BodyError(400, 'the body is not valid JSON: nesting is too deep'));
    const rows = parseEventRows(`{"a":1}\n${'{"a":'.repeat(100_000)}9007199254740993${'}'.repeat(100_000)}`);
    expect(rows[1]).toMatchObject({ error: 'malformed JSON on NDJSON line 2: nesting is too deep' });
  });

  it('keeps an id past 2^53 exact inside a row', () => {
    const [row] = parseEventRows('[{"detection_oid":9007199254740993}]');
    const value = (row as { value: Record<string, unknown> }).value['detection_oid'];
    expect(isNumericText(value) && value.value).toBe('9007199254740993');
  });
});

describe('decodeUtf8', () => {
  it('decodes valid UTF-8, including astral characters', () => {
    expect(decodeUtf8(Buffer.from('😀 é', 'utf8'))).toBe('😀 é');
  });
  it('refuses invalid UTF-8 instead of repairing it', () => {
    expect(() => decodeUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toThrow(BodyError);
  });
});
