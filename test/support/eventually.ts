export interface EventuallyOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string;
  readonly timeoutMs?: number;
  /** Pause between two reads. */
  readonly intervalMs?: number;
  /**
   * Take a read that throws as "not yet" (a server still starting or restarting); the last error goes
   * into the timeout message. By default an error fails at once.
   */
  readonly retryErrors?: boolean;
}

const DEFAULTS = { timeoutMs: 30_000, intervalMs: 50, retryErrors: false };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads until `accept` holds for the value read, and returns that value. After `timeoutMs` it throws,
 * naming what it waited for and the last value (or error) it saw. `what` alone may stand for the options.
 */
export async function eventually<T, U extends T>(
  read: () => T | Promise<T>,
  accept: (value: T) => value is U,
  options: EventuallyOptions | string,
): Promise<U>;
export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: EventuallyOptions | string,
): Promise<T>;
export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: EventuallyOptions | string,
): Promise<T> {
  const { what, timeoutMs, intervalMs, retryErrors } = { ...DEFAULTS, ...(typeof options === 'string' ? { what: options } : options) };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await read();
      if (accept(value)) return value;
      last = JSON.stringify(value)?.slice(0, 500) ?? String(value);
    } catch (error) {
      if (!retryErrors) throw error;
      last = `error: ${(error as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
    await sleep(intervalMs);
  }
}

/** Waits until `condition` holds; an in-process condition is cheap to check, so it is checked often. */
export async function until(condition: () => boolean | Promise<boolean>, options: Partial<EventuallyOptions> = {}): Promise<void> {
  await eventually(condition, (held) => held, { what: 'the condition', intervalMs: 10, ...options });
}
