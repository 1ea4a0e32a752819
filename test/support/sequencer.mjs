/**
 * Jest's order (failed first, then the longest by the last run's timings) with one change for a run
 * without timings, such as the first after a clone: the layers whose files start runtimes, browsers
 * and fault runs go first, so the few long files do not start last and leave a worker idle.
 */
import Sequencer from '@jest/test-sequencer';

const SLOW_LAYERS = ['faults', 'local', 'e2e', 'integration'];

const rank = (test) => {
  const index = SLOW_LAYERS.indexOf(test.context.config.displayName?.name);
  return index === -1 ? SLOW_LAYERS.length : index;
};

class SlowLayersFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const untimed = sorted.filter((test) => test.duration == null);
    const timed = sorted.filter((test) => test.duration != null);
    // Array.prototype.sort is stable: within a layer, jest's order (the largest file first) stays.
    return [...untimed.sort((a, b) => rank(a) - rank(b)), ...timed];
  }
}

export default SlowLayersFirst;
