import { ConfigError, loadLocalConfig, type LocalConfig } from '../shared/config';
import { createLogger, describeError } from './log';
import { type LocalRuntime, startRuntime } from './runtime';
import { stopSignalHandler } from './signals';

/** Graceful stop budget: Ctrl-C or SIGTERM exits within this, whatever is still running. */
const SHUTDOWN_DEADLINE_MS = 9_500;

async function main(): Promise<void> {
  let config: LocalConfig;
  try {
    config = loadLocalConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, 'runtime');

  let runtime: LocalRuntime | undefined;
  // The store worker died: nothing can be counted any more, so stop (the log keeps every 202) and exit.
  const onFailure = (error: Error): void => {
    logger.error('stopping the runtime', error);
    const stopped = runtime ? runtime.stop() : Promise.resolve();
    void stopped.finally(() => process.exit(1));
  };
  try {
    runtime = await startRuntime(config, { logger, onFailure });
  } catch (error) {
    logger.error('startup failed', error);
    process.exit(1);
  }
  const running = runtime;

  const shutdown = stopSignalHandler({
    force: (signal) => {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    },
    stop: (signal) => {
      logger.info(`${signal} received`);
      const deadline = setTimeout(() => {
        logger.error(`could not stop within ${SHUTDOWN_DEADLINE_MS} ms; exiting anyway (everything acknowledged is already on disk)`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      running.stop().then(
        () => {
          clearTimeout(deadline);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error('stopping failed', error);
          process.exit(1);
        },
      );
    },
  });
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Handlers' faults become 500s; anything escaping elsewhere is logged rather than fatal, because
  // every unit of work is transactional and a pump retries what failed.
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', reason));
}

void main();
