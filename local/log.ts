import { types } from 'node:util';
import type { LogHandler } from '@azure/functions';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Plain line logs on stdout (info) and stderr (warnings, errors), each with a time and a source. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  child(source: string): Logger;
}

export function createLogger(level: LogLevel = 'info', source = 'local'): Logger {
  const enabled = (wanted: LogLevel): boolean => RANK[wanted] >= RANK[level];
  const line = (message: string): string => `${new Date().toISOString()} [${source}] ${message}`;
  return {
    debug: (message) => {
      if (enabled('debug')) process.stdout.write(line(message) + '\n');
    },
    info: (message) => {
      if (enabled('info')) process.stdout.write(line(message) + '\n');
    },
    warn: (message) => {
      if (enabled('warn')) process.stderr.write(line(message) + '\n');
    },
    error: (message, error) => {
      const detail = error === undefined ? '' : `: ${describeError(error)}`;
      process.stderr.write(line(message + detail) + '\n');
    },
    child: (child) => createLogger(level, child),
  };
}

export function describeError(error: unknown): string {
  // isNativeError also knows errors of another realm (node:sqlite's, as seen from a Jest sandbox).
  if (error instanceof Error || types.isNativeError(error)) {
    const cause = (error as { cause?: unknown }).cause;
    return cause === undefined ? error.message : `${error.message} (${describeError(cause)})`;
  }
  return String(error);
}

/** Routes an InvocationContext's logs: the handlers' per-batch summaries are debug-level here. */
export function invocationLogHandler(logger: Logger): LogHandler {
  return (level, ...args) => {
    const message = args
      .map((arg) => (typeof arg === 'string' ? arg : arg instanceof Error ? describeError(arg) : JSON.stringify(arg)))
      .join(' ');
    if (level === 'error' || level === 'critical') logger.error(message);
    else if (level === 'warning') logger.warn(message);
    else logger.debug(message);
  };
}

/**
 * Warns once, then at most every `intervalMs` with the number of repeats in between, so a pump
 * retrying against an unavailable store does not flood the log.
 */
export function throttledWarn(logger: Logger, intervalMs = 10_000): (message: string) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (message) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      suppressed += 1;
      return;
    }
    logger.warn(suppressed > 0 ? `${message} (${suppressed} similar since the last report)` : message);
    lastAt = now;
    suppressed = 0;
  };
}
