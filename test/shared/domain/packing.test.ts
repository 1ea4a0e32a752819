import { packRows, PACKED_BODY_BYTES } from '../../../shared/domain/packing';

describe('packRows', () => {
  it('packs rows in order into JSON arrays of at most maxBytes, each as full as the next row allows', () => {
    const rows = Array.from({ length: 10 }, (_, index) => JSON.stringify({ n: index, pad: 'é'.repeat(10) }));
    const bodies = packRows(rows, 100);
    expect(bodies.flatMap((body) => JSON.parse(body) as unknown[])).toEqual(rows.map((row) => JSON.parse(row) as unknown));
    for (const [index, body] of bodies.entries()) {
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(100);
      const next = bodies[index + 1];
      // Full: the next array's first row would not have fitted in this one.
      if (next)
        expect(Buffer.byteLength(body) + 1 + Buffer.byteLength(JSON.stringify((JSON.parse(next) as unknown[])[0]))).toBeGreaterThan(100);
    }
    // Each row is 36 bytes in UTF-8 (é is two): two per array ([a,b] = 75 bytes), never three (112).
    expect(bodies).toHaveLength(5);
  });

  it('sends a row larger than the limit alone rather than dropping it', () => {
    const big = JSON.stringify('x'.repeat(200));
    expect(packRows(['1', big, '2'], 100)).toEqual(['[1]', `[${big}]`, '[2]']);
  });

  it('keeps under the 64 KB billing unit by default, and packs nothing into nothing', () => {
    expect(PACKED_BODY_BYTES).toBeLessThan(64 * 1024);
    expect(packRows([])).toEqual([]);
  });
});
