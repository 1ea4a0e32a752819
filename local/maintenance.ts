import type { ReadableLog } from './eventlog';
import { describeError, type Logger } from './log';
import type { FeedPump } from './pumps/feedPump';
import type { LogConsumer } from './pumps/logConsumer';
import type { RuntimeComponent } from './runtime';
import type { LocalStore } from './store';

const MAINTENANCE_INTERVAL_MS = 30_000;

export interface MaintenanceParts {
  readonly store: LocalStore;
  readonly eventLog: ReadableLog;
  readonly pumps: {
    readonly tallyPump: FeedPump;
    readonly aggregatePump: FeedPump;
    readonly logConsumers: readonly LogConsumer[];
  };
  /** Components that read the log with checkpoints of their own (capture): their segments are kept too. */
  readonly components: readonly RuntimeComponent[];
  readonly logger: Logger;
}

/**
 * Every 30 s: forgets expired dedup records the tally stage has read, drops folded tallies and the
 * log segments every reader has passed, then checkpoints the WAL.
 */
export function createMaintenance(parts: MaintenanceParts): RuntimeComponent {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  return {
    name: 'maintenance',
    start: () => {
      timer = setInterval(() => {
        running ??= maintainOnce(parts).finally(() => (running = undefined));
      }, MAINTENANCE_INTERVAL_MS);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

async function maintainOnce({ store, eventLog, pumps, components, logger }: MaintenanceParts): Promise<void> {
  try {
    const expired = await store.dedup.purgeExpired(pumps.tallyPump.position());
    const folded = await store.tallies.purgeThrough(pumps.aggregatePump.position());
    let segments = 0;
    for (let partition = 0; partition < eventLog.partitionCount; partition += 1) {
      const readers = [
        ...pumps.logConsumers.map((consumer) => consumer.position(partition)),
        ...components.flatMap((component) => (component.logPosition ? [component.logPosition(partition)] : [])),
      ];
      const oldestNeeded = Math.min(...readers);
      if (Number.isFinite(oldestNeeded)) segments += eventLog.retainFrom(partition, oldestNeeded);
    }
    // After the purges, so that their deletions reach the database file in the same checkpoint.
    const walPages = await store.database.checkpointWal();
    if (expired + folded + segments > 0) {
      logger.debug(
        `forgot ${expired} expired and tallied dedup records, dropped ${folded} folded tallies and ${segments} consumed log segments; checkpointed ${walPages} WAL pages`,
      );
    }
  } catch (error) {
    logger.warn(`maintenance failed, will try again: ${describeError(error)}`);
  }
}
