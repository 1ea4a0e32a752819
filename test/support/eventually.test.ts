import { eventually, until } from './eventually';

describe('eventually', () => {
  it('returns the first value accepted', async () => {
    let reads = 0;
    await expect(
      eventually(
        () => ++reads,
        (n) => n === 3,
        { what: 'three reads', intervalMs: 1 },
      ),
    ).resolves.toBe(3);
  });

  it('names what it waited for and the last value when time runs out', async () => {
    await expect(
      eventually(
        () => ({ n: 1 }),
        () => false,
        { what: 'n to be 2', timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow(/timed out after 20 ms waiting for n to be 2; last: \{"n":1\}/);
  });

  it('fails at once on an error, unless told to retry', async () => {
    let reads = 0;
    const flaky = () => {
      reads += 1;
      if (reads < 3) throw new Error('not yet');
      return reads;
    };
    await expect(eventually(flaky, () => true, 'a read')).rejects.toThrow('not yet');
    await expect(eventually(flaky, () => true, { what: 'a read', retryErrors: true, intervalMs: 1 })).resolves.toBe(3);
    await expect(
      eventually(
        () => Promise.reject(new Error('down')),
        () => true,
        { what: 'the server', retryErrors: true, timeoutMs: 10, intervalMs: 2 },
      ),
    ).rejects.toThrow('last: error: down');
  });

  it('until waits for a condition', async () => {
    let flag = false;
    setTimeout(() => (flag = true), 20);
    await until(() => flag);
    expect(flag).toBe(true);
  });
});
