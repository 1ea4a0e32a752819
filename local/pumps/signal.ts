/**
 * A wake-up for a polling loop: `wait(ms)` resolves on the next `wake()` or after `ms`, whichever
 * comes first. A wake with nobody waiting is remembered, so it is never lost between two waits.
 */
export class WakeSignal {
  private waiter: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private woken = false;

  wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    if (waiter) waiter();
  }

  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        clearTimeout(this.timer);
        this.waiter = undefined;
        this.woken = false;
        resolve();
      };
      this.timer = setTimeout(() => this.waiter?.(), ms);
    });
  }
}

/** Delay before retry number `failures` (1, 2, ...): exponential from 100 ms to 5 s, with jitter. */
export function backoffMs(failures: number): number {
  const base = Math.min(5_000, 100 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** A sleep that a stop cuts short, for backoff that new data must not shorten. */
export class StopSignal {
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  get isStopped(): boolean {
    return this.stopped;
  }

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const sleeper of [...this.sleepers]) sleeper();
  }
}
