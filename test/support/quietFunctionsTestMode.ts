/**
 * Jest setup: tests import the function files outside the Functions host, where @azure/functions
 * warns once that it is in test mode and once per skipped registration. Both are expected there, and
 * would bury the output that matters.
 */
import { isTestModeNoise } from '../../local/functions';

const originalWarn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (!isTestModeNoise(args[0])) originalWarn(...args);
};
