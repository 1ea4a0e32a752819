/**
 * Test-only: loaded into the runtime with `--import tsx --import <this file>`, which its store worker
 * inherits. In the store worker (only there), once the file named by CRASH_STORE_WORKER exists, an
 * exception escapes, as a bug in the worker would: the worker dies and the runtime must notice.
 */
import { existsSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const trigger = process.env['CRASH_STORE_WORKER'];

if (trigger && !isMainThread) {
  const timer = setInterval(() => {
    if (!existsSync(trigger)) return;
    clearInterval(timer);
    throw new Error('injected store worker crash');
  }, 50);
  timer.unref();
}
