import { FEED_BATCH_MAX, FEED_CYCLE_SECONDS, pacedFeedHandler } from '../../../shared/pipeline/pacing';

/** A clock the handler and the wait both move, so that a test sees how long an invocation was held. */
function fakeTime() {
  let nowMs = 0;
  const waits: number[] = [];
  return {
    clock: { now: () => nowMs },
    wait: (ms: number) => {
      waits.push(ms);
      nowMs += ms;
      return Promise.resolve();
    },
    spend: (ms: number) => {
      nowMs += ms;
    },
    waits,
  };
}

describe('pacedFeedHandler', () => {
  const pace = { cycleSeconds: 2, batchMax: 1000 };

  it('holds a small batch until one cycle after it started, and passes the result through', async () => {
    const time = fakeTime();
    const handler = pacedFeedHandler(
      (documents: unknown[], context: string) => {
        time.spend(300);
        return Promise.resolve(`${context}:${documents.length}`);
      },
      pace,
      time.clock,
      time.wait,
    );
    await expect(handler([1, 2, 3], 'ctx')).resolves.toBe('ctx:3');
    expect(time.waits).toEqual([1700]);
  });

  it('does not hold a full batch (a backlog), nor one that already took a cycle', async () => {
    const time = fakeTime();
    let spend = 0;
    const handler = pacedFeedHandler(
      () => {
        time.spend(spend);
        return Promise.resolve();
      },
      pace,
      time.clock,
      time.wait,
    );
    await handler(new Array<unknown>(1000).fill(0), undefined);
    spend = 2500;
    await handler([1], undefined);
    expect(time.waits).toEqual([]);
  });

  it('lets a failure through at once, for the host to retry', async () => {
    const time = fakeTime();
    const handler = pacedFeedHandler(() => Promise.reject(new Error('store down')), pace, time.clock, time.wait);
    await expect(handler([1], undefined)).rejects.toThrow('store down');
    expect(time.waits).toEqual([]);
  });

  it('paces tally to one second and aggregate to two, under the triggers’ batch limit', () => {
    expect(FEED_CYCLE_SECONDS).toEqual({ tally: 1, aggregate: 2 });
    expect(FEED_BATCH_MAX).toBe(1000);
  });
});
