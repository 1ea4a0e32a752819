import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadLocalConfig, type LocalConfig } from '../shared/config';
import { createLogger, describeError } from './log';
import { type LocalRuntime, type RuntimePlugin, startRuntime } from './runtime';
import { stopSignalHandler } from './signals';

/** Graceful stop budget: Ctrl-C or SIGTERM exits within this, whatever is still running. */
const SHUTDOWN_DEADLINE_MS = 9_500;

/**
 * Optional parts of the runtime that live in their own modules (capture writes Event Hubs Capture
 * files from the event log and serves POST /api/replay). A module is used when it exists and
 * exports the named install function.
 */
const OPTIONAL_PLUGINS: readonly { module: string; exportName: string }[] = [{ module: 'capture', exportName: 'installCapture' }];

async function loadPlugins(): Promise<RuntimePlugin[]> {
  const plugins: RuntimePlugin[] = [];
  for (const { module, exportName } of OPTIONAL_PLUGINS) {
    const base = join(__dirname, module);
    const candidates = [`${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')];
    if (!candidates.some((candidate) => existsSync(candidate))) continue;
    const loaded = (await import(base)) as Record<string, unknown>;
    const install = loaded[exportName];
    if (typeof install === 'function') plugins.push(install as RuntimePlugin);
  }
  return plugins;
}

async function main(): Promise<void> {
  let config: LocalConfig;
  try {
    config = loadLocalConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel, 'runtime');

  let runtime: LocalRuntime;
  try {
    runtime = await startRuntime(config, { logger, plugins: await loadPlugins() });
  } catch (error) {
    logger.error('startup failed', error);
    process.exit(1);
  }

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
      runtime.stop().then(
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
