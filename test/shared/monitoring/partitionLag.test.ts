import { PARTITION_LAG_PREFIX, partitionLagLine, partitionLagOf } from '../../../shared/monitoring/partitionLag';

const now = Date.parse('2026-11-22T10:05:00Z');
const metadata = (enqueued: unknown[], partitionId: unknown = '3') => ({
  partitionContext: { partitionId, consumerGroup: 'functions', eventHubName: 'detections' },
  enqueuedTimeUtcArray: enqueued,
});

describe('partitionLagOf', () => {
  it("is the age of the batch's last event, to a tenth of a second", () => {
    const lag = partitionLagOf(metadata(['2026-11-22T10:00:00Z', '2026-11-22T10:04:47.640Z']), 2, now);
    expect(lag).toEqual({ partition: '3', lagSeconds: 12.4, events: 2 });
  });

  it('accepts Date objects and epoch milliseconds as enqueued times', () => {
    expect(partitionLagOf(metadata([new Date(now - 90_000)]), 1, now)?.lagSeconds).toBe(90);
    expect(partitionLagOf(metadata([now - 1_000], 7), 1, now)).toEqual({ partition: '7', lagSeconds: 1, events: 1 });
  });

  it("never reports a negative lag when the sender's clock is ahead", () => {
    expect(partitionLagOf(metadata(['2026-11-22T10:06:00Z']), 1, now)?.lagSeconds).toBe(0);
  });

  it('names an unknown partition "unknown" and gives up without a readable enqueued time', () => {
    expect(partitionLagOf({ enqueuedTimeUtcArray: [now] }, 1, now)?.partition).toBe('unknown');
    expect(partitionLagOf(metadata([]), 0, now)).toBeUndefined();
    expect(partitionLagOf(metadata(['not a date']), 1, now)).toBeUndefined();
    expect(partitionLagOf({}, 1, now)).toBeUndefined();
    expect(partitionLagOf(undefined, 1, now)).toBeUndefined();
  });
});

describe('partitionLagLine', () => {
  it('is the prefix followed by compact JSON in the agreed field order', () => {
    expect(partitionLagLine({ partition: '3', lagSeconds: 12.4, events: 250 })).toBe(
      `${PARTITION_LAG_PREFIX}{"partition":"3","lagSeconds":12.4,"events":250}`,
    );
  });
});
