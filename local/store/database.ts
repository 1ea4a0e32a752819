import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, rmSync, statSync } from 'node:fs';
import { type BindValues, Database, type Statement } from './driver';
import { describeError } from '../log';
import { Mutex } from '../mutex';

/**
 * One SQLite connection shared by every local store, with the transaction discipline the pipeline
 * relies on. SQLite has a single writer, so all access is serialized by one async mutex:
 *
 * - `unit(fn)` runs an async function (a handler invocation and its checkpoint advance) in ONE
 *   transaction: a crash or a thrown error keeps all of its writes or none.
 * - `write(op)` runs a small synchronous write outside any unit; concurrent writes are committed
 *   together in one transaction (group commit), each under its own savepoint.
 * - `read(fn)` runs a synchronous read on committed data only (never inside someone else's unit).
 *
 * Store methods called from inside a unit (found through AsyncLocalStorage) run directly in it.
 *
 * On some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM…) SQLite rolls the whole transaction back
 * by itself. Every later statement would then commit on its own, so once a unit's transaction is
 * gone nothing more runs in it: each access throws, and the unit fails whole.
 */
export interface UnitScope {
  active: boolean;
  readonly afterCommit: (() => void)[];
  /** The first error a statement of this unit raised, to name the cause when the transaction is gone. */
  firstError?: unknown;
}

interface QueuedWrite {
  readonly op: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** The settings of every connection after WAL mode (exported so the driver benchmark uses the same). */
export const TUNING_PRAGMAS: readonly string[] = [
  'PRAGMA synchronous = NORMAL',
  // A checkpoint (with its two fsyncs) runs inside whichever COMMIT crosses this many WAL pages,
  // on the one thread that also answers HTTP. 10,000 pages (~40 MB) makes them rarer and lets
  // pages written over and over (counters, dedup index) be copied once; the maintenance timer
  // checkpoints in between (checkpointWal), so a quiet store does not keep a long WAL.
  `PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`,
  'PRAGMA foreign_keys = OFF',
  // 16 MB of page cache holds the hot pages
  // (counters, the change feed's tail, the dedup index's upper levels); the rest comes from the OS.
  'PRAGMA cache_size = -16384',
  'PRAGMA temp_store = MEMORY',
];

export class LocalDatabase {
  private readonly mutex = new Mutex();
  private readonly scopes = new AsyncLocalStorage<UnitScope>();
  private readonly statements = new Map<string, Statement>();
  private queued: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;

  private constructor(
    readonly path: string,
    readonly db: Database,
  ) {}

  /**
   * Opens (creating if needed) the database file. The caller must hold the data directory's process
   * lock. Stores written by the earlier WASM driver open unchanged; that driver locked a database by
   * creating `<file>.lock/`, which a killed process left behind, so a stale one is removed here.
   */
  static open(path: string): LocalDatabase {
    const staleLock = `${path}.lock`;
    if (existsSync(staleLock) && statSync(staleLock).isDirectory()) rmSync(staleLock, { recursive: true, force: true });
    const db = new Database(path);
    try {
      // One connection in one process owns the file: exclusive locking mode keeps WAL's index in
      // the heap (no -shm file, no lock calls per transaction). WAL with synchronous=NORMAL survives kill -9 (every commit is in the
      // OS before COMMIT returns); on power loss the newest commits may roll back as whole units,
      // and the event log (fsynced before each 202) replays them from the unchanged checkpoints.
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const mode = db.get('PRAGMA journal_mode = WAL') as { journal_mode?: unknown } | null;
      if (mode?.journal_mode !== 'wal') throw new Error(`could not switch ${path} to WAL mode (got ${String(mode?.journal_mode)})`);
      for (const pragma of TUNING_PRAGMAS) db.exec(pragma);
    } catch (error) {
      db.close();
      throw error;
    }
    return new LocalDatabase(path, db);
  }

  /** The first row of a query, or null. */
  first<T>(sql: string, params: BindValues): T | null {
    return this.statement(sql).get(params) as T | null;
  }

  /** A prepared statement, prepared once and kept until close. */
  statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** The unit (or queued write) the caller runs in, if any and still open. */
  currentUnit(): UnitScope | undefined {
    const scope = this.scopes.getStore();
    return scope?.active ? scope : undefined;
  }

  /**
   * True when the caller's async context belongs to a unit that has already ended: a branch the
   * unit's function left running. Its writes must not slip out as transactions of their own.
   */
  private inEndedUnit(): boolean {
    const scope = this.scopes.getStore();
    return scope !== undefined && !scope.active;
  }

  /** Runs `fn` in one transaction, serialized with every other access; rolls back if it throws. */
  unit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.currentUnit()) return Promise.reject(new Error('units do not nest'));
    return this.mutex.run(async () => {
      this.assertOpen();
      const scope: UnitScope = { active: true, afterCommit: [] };
      this.db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await this.scopes.run(scope, fn);
        scope.active = false;
        // The function may have caught the failure that cost the transaction: commit nothing then.
        this.assertTransactionOf(scope);
        this.db.exec('COMMIT');
      } catch (error) {
        scope.active = false;
        this.discardStatements();
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
      for (const callback of scope.afterCommit) callback();
      return result;
    });
  }

  /**
   * Runs a synchronous write: directly inside the caller's unit, otherwise group-committed. Either
   * way `currentUnit()` is set while it runs, so it can register after-commit callbacks.
   */
  write<T>(op: () => T): Promise<T> {
    const unit = this.currentUnit();
    if (unit) return this.runInUnit(unit, op);
    if (this.inEndedUnit()) return Promise.reject(new Error('a write from a unit that has already ended (committed or rolled back)'));
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        void this.mutex.run(() => this.flushQueued());
      }
    });
  }

  /** Runs a synchronous read on committed data. */
  read<T>(fn: () => T): Promise<T> {
    const unit = this.currentUnit();
    if (unit) return this.runInUnit(unit, fn);
    return this.mutex.run(() => {
      this.assertOpen();
      return fn();
    });
  }

  /**
   * Copies the WAL into the database file as far as it can without waiting (PASSIVE), between
   * units; for the maintenance timer. Returns the WAL pages it copied.
   */
  checkpointWal(): Promise<number> {
    return this.mutex.run(() => {
      this.assertOpen();
      const row = this.db.get('PRAGMA wal_checkpoint(PASSIVE)') as { checkpointed?: unknown } | null;
      return typeof row?.checkpointed === 'number' ? row.checkpointed : 0;
    });
  }

  /** Waits for every queued access, then closes the connection (checkpointing the WAL). */
  async close(): Promise<void> {
    await this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.discardStatements();
      try {
        this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } finally {
        this.db.close();
      }
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs an access inside the caller's unit, only while the unit's transaction is still open. */
  private runInUnit<T>(unit: UnitScope, op: () => T): Promise<T> {
    try {
      this.assertTransactionOf(unit);
      return Promise.resolve(op());
    } catch (error) {
      unit.firstError ??= error;
      return Promise.reject(asError(error));
    }
  }

  private assertTransactionOf(unit: UnitScope): void {
    if (this.db.inTransaction) return;
    const cause = unit.firstError === undefined ? 'an earlier failure' : describeError(unit.firstError);
    throw new Error(`SQLite rolled this unit's transaction back after ${cause}; the unit fails whole and is retried`);
  }

  private flushQueued(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    if (this.closed) {
      for (const item of batch) item.reject(new Error('the local store is closed'));
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    const afterCommit: (() => void)[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const item of batch) {
        // Each write gets its own scope, so that its after-commit callbacks are dropped if it fails.
        const scope: UnitScope = { active: true, afterCommit: [] };
        this.db.exec('SAVEPOINT queued_write');
        try {
          outcomes.push({ ok: true, value: this.scopes.run(scope, item.op) });
          this.db.exec('RELEASE queued_write');
          afterCommit.push(...scope.afterCommit);
        } catch (error) {
          this.discardStatements();
          // SQLite dropped the whole group's transaction (e.g. disk full): every write in it failed.
          if (!this.db.inTransaction) throw error;
          this.db.exec('ROLLBACK TO queued_write');
          this.db.exec('RELEASE queued_write');
          outcomes.push({ ok: false, error });
        } finally {
          scope.active = false;
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.discardStatements();
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // Nothing awaits this flush: a throw here would be an unhandled rejection. Every write is failed below.
      }
      for (const item of batch) item.reject(error);
      return;
    }
    for (const callback of afterCommit) callback();
    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  }

  /**
   * Finalizes every cached statement. After a failed step the driver cannot reset a statement
   * without reporting that failure again, so after any error the statements are prepared afresh.
   */
  private discardStatements(): void {
    for (const statement of this.statements.values()) {
      try {
        statement.finalize();
      } catch {
        // finalize repeats the statement's last error; the statement is freed regardless.
      }
    }
    this.statements.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the local store is closed');
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
