import { compareInt64, describe as describeValue, isNumericText, parseInt64 } from '../../../shared/domain/ids';
import { parseJsonExact } from '../../../shared/domain/json';

const ok = (value: string) => ({ ok: true, value });

describe('parseInt64', () => {
  it('accepts safe integers, bigints and decimal strings, in canonical form', () => {
    expect(parseInt64(0)).toEqual(ok('0'));
    expect(parseInt64(-0)).toEqual(ok('0'));
    expect(parseInt64(Number.MAX_SAFE_INTEGER)).toEqual(ok('9007199254740991'));
    expect(parseInt64(-42)).toEqual(ok('-42'));
    expect(parseInt64(9007199254740993n)).toEqual(ok('9007199254740993'));
    expect(parseInt64('9223372036854775807')).toEqual(ok('9223372036854775807'));
    expect(parseInt64('-9223372036854775808')).toEqual(ok('-9223372036854775808'));
    expect(parseInt64('007')).toEqual(ok('7'));
    expect(parseInt64('-0')).toEqual(ok('0'));
    expect(parseInt64('-000000000000000000000012')).toEqual(ok('-12'));
  });

  it('keeps JSON integers past 2^53 exact when they come through the lossless parser', () => {
    const parsed = parseJsonExact('[9007199254740993, 9007199254740992, -9223372036854775808]') as unknown[];
    expect(parsed.map(parseInt64)).toEqual([ok('9007199254740993'), ok('9007199254740992'), ok('-9223372036854775808')]);
  });

  it('refuses what is not a 64-bit integer, saying why', () => {
    expect(parseInt64(2 ** 53)).toEqual({ ok: false, problem: 'is outside the exactly representable range; send it as a string' });
    expect(parseInt64(1.5)).toEqual({ ok: false, problem: 'must be an integer, not a fraction' });
    expect(parseInt64('9223372036854775808')).toEqual({ ok: false, problem: 'is outside the signed 64-bit range' });
    expect(parseInt64('-9223372036854775809')).toEqual({ ok: false, problem: 'is outside the signed 64-bit range' });
    expect(parseInt64(2n ** 64n)).toEqual({ ok: false, problem: 'is outside the signed 64-bit range' });
    for (const text of ['', ' 1', '1 ', '+1', '1e3', '0x10', '1_000', '١٢']) {
      expect(parseInt64(text)).toEqual({ ok: false, problem: 'must be a string of decimal digits' });
    }
    expect(parseInt64((parseJsonExact('[1.0]') as unknown[])[0])).toEqual({
      ok: false,
      problem: 'must be an integer, not a fraction or exponent',
    });
    expect(parseInt64((parseJsonExact('[1e3]') as unknown[])[0])).toEqual({
      ok: false,
      problem: 'must be an integer, not a fraction or exponent',
    });
    expect(parseInt64(true)).toEqual({ ok: false, problem: 'must be a 64-bit integer, got boolean' });
    expect(parseInt64(null)).toEqual({ ok: false, problem: 'must be a 64-bit integer, got null' });
    expect(parseInt64([1])).toEqual({ ok: false, problem: 'must be a 64-bit integer, got an array' });
    expect(parseInt64({ value: '1' })).toEqual({ ok: false, problem: 'must be a 64-bit integer, got an object' });
  });

  it('does not take a plain object shaped like a parser number for a number', () => {
    const forged = JSON.parse('{"isLosslessNumber":true,"value":"5"}') as unknown;
    expect(isNumericText(forged)).toBe(false);
    expect(parseInt64(forged).ok).toBe(false);
  });
});

describe('describe', () => {
  it('names the kind of a value for reasons', () => {
    expect([null, [], {}, 'x', 1, undefined].map(describeValue)).toEqual([
      'null',
      'an array',
      'an object',
      'string',
      'number',
      'undefined',
    ]);
    expect(describeValue((parseJsonExact('[1.25]') as unknown[])[0])).toBe('the number 1.25');
  });
});

describe('compareInt64', () => {
  it('orders canonical ids numerically, including past 2^53 and negatives', () => {
    const ids = ['10', '-1', '9007199254740993', '2', '-10', '0', '9007199254740992', '-9223372036854775808', '9223372036854775807'];
    expect([...ids].sort(compareInt64)).toEqual([
      '-9223372036854775808',
      '-10',
      '-1',
      '0',
      '2',
      '10',
      '9007199254740992',
      '9007199254740993',
      '9223372036854775807',
    ]);
    expect(compareInt64('5', '5')).toBe(0);
  });
});
