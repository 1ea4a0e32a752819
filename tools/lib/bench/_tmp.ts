import { DetectionGenerator } from '../generator';
import { measureCeiling } from './ceiling';
for (const largeIds of [0, 0.1]) {
  const gen = new DetectionGenerator({
    seed: 1,
    now: () => Date.now(),
    locations: 100,
    items: 50,
    duplicates: 0.05,
    late: 0.02,
    skew: 1,
    largeIds,
  });
  let left = 300_000;
  const { result } = measureCeiling(() => {
    if (left <= 0) return undefined;
    const n = Math.min(1000, left);
    left -= n;
    return JSON.stringify(gen.batch(n).map((e) => e.body));
  });
  console.log(largeIds, Math.round(result.eventsPerSecond));
}
