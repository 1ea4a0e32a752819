/**
 * Test-only fault injection: a full disk for the local runtime. Loaded before the runtime with
 * `node --import tsx --import ./tools/faultFs.ts local/main.ts`, and inert unless FAULT_FS_SWITCH
 * names a file. While that file exists, every write to a file whose path matches the regular
 * expression FAULT_FS_MATCH fails with ENOSPC, as on a full disk: the event log (which writes through
 * fs/promises file handles) and any file written through fs.writeSync. The SQLite store's native
 * driver (node:sqlite) writes outside JavaScript, so for a matching database file its COMMIT fails
 * instead, with SQLite's own SQLITE_FULL message, which is where a full disk stops a WAL transaction.
 * Deleting the switch file ends the fault. Nothing in the product imports this file.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

const switchPath = process.env['FAULT_FS_SWITCH'];
const match = new RegExp(process.env['FAULT_FS_MATCH'] ?? '$^');

function noSpace(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
    path,
  });
}

function failing(path: string | undefined): boolean {
  return switchPath !== undefined && path !== undefined && match.test(path) && fs.existsSync(switchPath);
}

if (switchPath) {
  const pathsByFd = new Map<number, string>();

  const openSync = fs.openSync;
  fs.openSync = (path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...args: unknown[]) => number)(path, ...rest);
    pathsByFd.set(fd, String(path));
    return fd;
  };

  const closeSync = fs.closeSync;
  fs.closeSync = (fd: number) => {
    pathsByFd.delete(fd);
    closeSync(fd);
  };

  const writeSync = fs.writeSync;
  fs.writeSync = (fd: number, ...rest: unknown[]) => {
    const path = pathsByFd.get(fd);
    if (failing(path)) throw noSpace(path as string);
    return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
  };

  const open = fsp.open;
  fsp.open = async (path: fs.PathLike, ...rest: unknown[]) => {
    const handle = await (open as (...args: unknown[]) => Promise<fsp.FileHandle>)(path, ...rest);
    const name = String(path);
    for (const method of ['write', 'writev', 'writeFile', 'appendFile'] as const) {
      const original = handle[method].bind(handle) as (...args: unknown[]) => Promise<unknown>;
      Object.defineProperty(handle, method, {
        value: (...args: unknown[]) => (failing(name) ? Promise.reject(noSpace(name)) : original(...args)),
      });
    }
    return handle;
  };

  // node:sqlite writes its pages natively: fail the COMMIT of a matching database, leaving the
  // transaction open for the caller's ROLLBACK, as SQLite does when the WAL cannot grow.
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the database as `this`
  const exec = DatabaseSync.prototype.exec;
  DatabaseSync.prototype.exec = function (this: InstanceType<typeof DatabaseSync>, sql: string): void {
    const location = this.location() ?? undefined;
    if (/^\s*COMMIT\b/i.test(sql) && failing(location)) {
      throw Object.assign(new Error('database or disk is full'), {
        code: 'ERR_SQLITE_ERROR',
        errcode: 13,
        errstr: 'database or disk is full',
      });
    }
    exec.call(this, sql);
  };
}
