import { compareCodePoints, compareRanked, DEFAULT_TOP, MAX_TOP, parseTop, rankItems } from '../../../shared/domain/ranking';

describe('ranking', () => {
  it('orders by count descending, then name ascending by code point', () => {
    const ranked = rankItems(
      [
        { name: 'van', count: 2 },
        { name: 'bus', count: 5 },
        { name: 'car', count: 5 },
        { name: 'Car', count: 5 },
        { name: 'gone', count: 0 },
      ],
      10,
    );
    expect(ranked.map((item) => item.name)).toEqual(['Car', 'bus', 'car', 'van']);
  });

  it('puts astral characters after every BMP character, U+FFFF included (code point, not UTF-16 order)', () => {
    // By UTF-16 units '😀' (D83D DE00) would sort before U+FFFF and U+E000.
    const names = ['😀', '\uffff', '\ue000', 'z', 'é', '𝔸', 'a'];
    expect([...names].sort(compareCodePoints)).toEqual(['a', 'z', 'é', '\ue000', '\uffff', '𝔸', '😀']);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
    expect(compareRanked({ name: '😀', count: 1 }, { name: '\uffff', count: 1 })).toBeGreaterThan(0);
  });

  it('gives the same table for the same counts, whatever order they came in', () => {
    const items = ['e', 'd', 'c', 'b', 'a'].map((name, index) => ({ name, count: index % 2 }));
    const once = rankItems(items, 3);
    expect(rankItems([...items].reverse(), 3)).toEqual(once);
    expect(once.map((item) => item.name)).toEqual(['b', 'd']);
  });

  it('keeps only the top X', () => {
    const items = Array.from({ length: 20 }, (_, index) => ({ name: `i${index}`, count: index + 1 }));
    expect(rankItems(items, 3).map((item) => item.count)).toEqual([20, 19, 18]);
  });
});

describe('parseTop', () => {
  it('defaults to 10 and accepts 1 to 1000', () => {
    expect(parseTop(undefined)).toEqual({ ok: true, top: DEFAULT_TOP });
    expect(parseTop(null)).toEqual({ ok: true, top: DEFAULT_TOP });
    expect(parseTop('')).toEqual({ ok: true, top: DEFAULT_TOP });
    expect(parseTop('1')).toEqual({ ok: true, top: 1 });
    expect(parseTop(String(MAX_TOP))).toEqual({ ok: true, top: MAX_TOP });
  });

  it('refuses anything else, naming top', () => {
    for (const text of ['0', '1001', '-1', '1.5', 'ten', ' 5', '99999']) {
      const parsed = parseTop(text);
      expect(parsed.ok ? 'accepted' : parsed.problem).toBe('top: must be a whole number from 1 to 1000');
    }
  });
});
