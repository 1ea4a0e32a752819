import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What lives where under DATA_DIR. */
export function dataLayout(dataDir: string): {
  root: string;
  lock: string;
  runtimeInfo: string;
  store: string;
  eventLog: string;
  azurite: string;
} {
  const root = resolve(dataDir);
  return {
    root,
    lock: join(root, 'runtime.lock'),
    runtimeInfo: join(root, 'runtime.json'),
    store: join(root, 'store.sqlite'),
    eventLog: join(root, 'eventlog'),
    azurite: join(root, 'azurite'),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this process the only runtime using the data directory. A lock left by a runtime that was
 * killed is taken over; one held by a live process is a startup error naming it.
 */
export function lockDataDir(lockPath: string): { release(): void } {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) rmSync(lockPath, { force: true });
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(lockPath, 'utf8').trim());
      } catch {
        // Removed meanwhile: try again.
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`another local runtime (pid ${holder}) is using this DATA_DIR (${lockPath}); stop it or choose another DATA_DIR`);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock ${lockPath}`);
}

/** Writes a file so that readers see the old content or the new, never half of it. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
