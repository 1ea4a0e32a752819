import { InMemoryCounterStore, ManualClock } from '../../support/memory';
import { countChanges } from '../../support/aggregation';
import { queryTopItems } from '../../../shared/pipeline/topItems';

const HOUR = 3_600_000;
const clock = new ManualClock(Date.UTC(2026, 10, 22, 10, 30));
let sequence = 0;
const change = (locationOid: string, itemName: string, timestampMs: number) => ({
  partition: '0',
  sequence: ++sequence,
  detectionOid: String(sequence),
  locationOid,
  location: 'Harbour',
  itemName,
  timestampMs,
});

describe('queryTopItems', () => {
  it('labels a last:Nh window that holds a single hour as the window asked, not the hour', async () => {
    const counters = new InMemoryCounterStore();
    await countChanges([change('1', 'car', Date.UTC(2026, 10, 22, 10, 5))], { counters, clock });
    const rows = await queryTopItems({ locationOid: '1', top: 10, window: { kind: 'last', hours: 3 } }, { counters, clock });
    expect(rows).toEqual([
      expect.objectContaining({ item_name: 'car', item_count: 1, window: 'last:3h', window_start: '2026-11-22T08:00:00.000Z' }),
    ]);
  });

  it('ignores hours outside the window', async () => {
    const counters = new InMemoryCounterStore();
    const now = clock.now();
    await countChanges([change('1', 'old', now - 5 * HOUR), change('1', 'new', now), change('1', 'future', now + 2 * HOUR)], {
      counters,
      clock,
    });
    const rows = await queryTopItems({ top: 10, window: { kind: 'last', hours: 2 } }, { counters, clock });
    expect(rows.map((row) => row.item_name)).toEqual(['new']);
    const all = await queryTopItems({ top: 10, window: { kind: 'all' } }, { counters, clock });
    expect(all.map((row) => row.item_name).sort()).toEqual(['future', 'new', 'old']);
  });
});
