import type * as NodeSqlite from 'node:sqlite';

/**
 * The SQLite driver of the local store: Node's built-in `node:sqlite` (native SQLite, nothing to
 * install or compile), behind the small calling convention the store was written against (values
 * bound as one array, `inTransaction`, `finalize`). Measured on the store's own statements
 * (tools/lib/bench/sqliteDrivers.ts) it costs less CPU per event than the WASM driver it replaced,
 * mostly because its file I/O and row decoding are native. Database files are plain SQLite either way,
 * so stores written by the WASM driver open unchanged.
 */
export type BindValue = NodeSqlite.SQLInputValue;
/** Positional values as an array, or a single value. */
export type BindValues = readonly BindValue[] | BindValue;

export interface RunResult {
  readonly changes: number;
  readonly lastInsertRowid: number;
}

function positional(values: BindValues | undefined): BindValue[] {
  if (values === undefined) return [];
  return Array.isArray(values) ? (values as BindValue[]) : [values as BindValue];
}

/** `node:sqlite` prints an ExperimentalWarning when first loaded: expected here, so it is not shown. */
function loadNodeSqlite(): typeof NodeSqlite {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    if (String(warning instanceof Error ? warning.message : warning).startsWith('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  };
  try {
    return process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
}

const sqlite = loadNodeSqlite();

export class Statement {
  constructor(private readonly statement: NodeSqlite.StatementSync) {}

  run(values?: BindValues): RunResult {
    const result = this.statement.run(...positional(values));
    return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
  }

  all(values?: BindValues): unknown[] {
    return this.statement.all(...positional(values));
  }

  get(values?: BindValues): unknown {
    return this.statement.get(...positional(values)) ?? null;
  }

  iterate(values?: BindValues): Iterable<unknown> {
    return this.statement.iterate(...positional(values));
  }

  /** node:sqlite finalizes statements when they are collected or the database closes. */
  finalize(): void {}
}

export class Database {
  private readonly db: NodeSqlite.DatabaseSync;

  constructor(path: string) {
    this.db = new sqlite.DatabaseSync(path);
  }

  get inTransaction(): boolean {
    return this.db.isTransaction;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): Statement {
    return new Statement(this.db.prepare(sql));
  }

  /** The first row of a query, or null. */
  get(sql: string, values?: BindValues): unknown {
    return this.prepare(sql).get(values);
  }

  all(sql: string, values?: BindValues): unknown[] {
    return this.prepare(sql).all(values);
  }

  run(sql: string, values?: BindValues): RunResult {
    return this.prepare(sql).run(values);
  }

  close(): void {
    this.db.close();
  }
}
