/** A FIFO async lock: each `run` starts after every earlier one has settled. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(async () => {
      try {
        return await fn();
      } finally {
        this.waiting -= 1;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Runs queued or running, for shutdown and diagnostics. */
  get pending(): number {
    return this.waiting;
  }
}
