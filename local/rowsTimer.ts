import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import type { TimerHandler } from './functions';
import { describeError, invocationLogHandler, type Logger } from './log';

/** What the Functions host passes a timer handler; refreshRows reads none of it. */
const TICK = { isPastDue: false, schedule: { adjustForDST: false }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };

/** The schedule of functions/refreshRows.ts in Azure: the handler itself keeps to ROWS_REFRESH_SECONDS. */
export const ROWS_TIMER_INTERVAL_MS = 5_000;

/**
 * Fires the real `refreshRows` timer handler on its Azure schedule, so idle periods flush their rows
 * here too; `aggregate` refreshes them on its own cadence while tallies flow.
 */
export function createRowsTimer(handler: TimerHandler, logger: Logger): { name: string; start(): void; stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const logHandler = invocationLogHandler(logger);
  const fire = (): Promise<void> =>
    (running ??= handler(TICK, new InvocationContext({ invocationId: randomUUID(), functionName: 'refreshRows', logHandler }))
      .catch((error: unknown) => logger.warn(`rows refresh failed, will try again: ${describeError(error)}`))
      .finally(() => (running = undefined)));
  return {
    name: 'rows timer',
    start: () => {
      timer = setInterval(() => void fire(), ROWS_TIMER_INTERVAL_MS);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
