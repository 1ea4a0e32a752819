/**
 * Compares SQLite drivers on the local store's own per-event statements: the dedup store's
 * create-only insert of a record (in transactions of `--batch` events), then the tally pump's reads
 * of the same records as its change feed. It answers one question of docs/performance.md: would a native driver make the
 * store cheaper per event than the WASM one the project ships?
 *
 *   npx tsx tools/lib/bench/sqliteDrivers.ts                  # node-sqlite3-wasm alone
 *   npm install --no-save @photostructure/sqlite libsql       # two drivers with prebuilt binaries
 *   npx tsx tools/lib/bench/sqliteDrivers.ts --ids sequential
 *
 * Each driver opens a copy of a database file the real store created (so the schema is the store's),
 * with the store's own settings, and runs the same records. Figures are CPU time per event.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database as WasmDatabase, type Statement as WasmStatement } from 'node-sqlite3-wasm';
import { openLocalStore } from '../../../local/store';
import { READ_CHANGES_SQL } from '../../../local/store/changeLog';
import { TUNING_PRAGMAS } from '../../../local/store/database';
import { CREATE_RECORD_SQL } from '../../../local/store/dedupStore';
import { formatCount, type OptionSpec, optionsOrHelp, runTool } from '../cli';
import { dedupRecordSource, type IdPattern, idPattern } from './dedupRecords';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'events', kind: 'integer', min: 10_000, placeholder: '<n>', default: 300_000, description: 'Events to store per driver.' },
  { name: 'batch', kind: 'integer', min: 1, placeholder: '<n>', default: 10_000, description: 'Events per transaction.' },
  { name: 'ids', kind: 'string', placeholder: 'random|sequential', default: 'random', description: 'How detection ids are drawn.' },
  {
    name: 'rounds',
    kind: 'integer',
    min: 1,
    placeholder: '<n>',
    default: 2,
    description: 'Runs per driver, interleaved; the best is shown.',
  },
];

type Value = string | number | null;

/** What the comparison needs of a driver: a statement run with positional values, and exec. */
interface Connection {
  readonly version: string;
  exec(sql: string): void;
  prepare(sql: string): { run(values: readonly Value[]): void; all(values: readonly Value[]): unknown[] };
  close(): void;
}

interface Driver {
  readonly name: string;
  /** Throws when the package is not installed. */
  open(path: string): Connection;
}

/** node:sqlite's API (DatabaseSync) and better-sqlite3's share these calls. */
interface NativeStatement {
  run(...values: Value[]): unknown;
  all(...values: Value[]): unknown[];
  get(...values: Value[]): unknown;
}
interface NativeDatabase {
  exec(sql: string): void;
  prepare(sql: string): NativeStatement;
  close(): void;
}

function nativeConnection(db: NativeDatabase): Connection {
  const version = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  return {
    version,
    exec: (sql) => db.exec(sql),
    prepare: (sql) => {
      const statement = db.prepare(sql);
      return { run: (values) => void statement.run(...values), all: (values) => statement.all(...values) };
    },
    close: () => db.close(),
  };
}

/** The native drivers are not dependencies: installed by hand (see above) or skipped. */
const loadOptional = createRequire(__filename);

const DRIVERS: readonly Driver[] = [
  {
    name: 'node-sqlite3-wasm (the project’s, WASM)',
    open: (path) => {
      const db = new WasmDatabase(path);
      // As LocalDatabase opens it: the WASM file system has no shared memory for WAL otherwise.
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const statements: WasmStatement[] = [];
      return {
        version: (db.get('SELECT sqlite_version() AS v') as { v: string }).v,
        exec: (sql) => db.exec(sql),
        prepare: (sql) => {
          const statement = db.prepare(sql);
          statements.push(statement);
          return { run: (values) => void statement.run([...values]), all: (values) => statement.all([...values]) };
        },
        close: () => {
          for (const statement of statements) statement.finalize();
          db.close();
        },
      };
    },
  },
  {
    name: 'node:sqlite (built into Node 22, native)',
    open: (path) => {
      const { DatabaseSync } = loadOptional('node:sqlite') as { DatabaseSync: new (path: string) => NativeDatabase };
      return nativeConnection(new DatabaseSync(path));
    },
  },
  {
    name: '@photostructure/sqlite (native, node:sqlite API)',
    open: (path) => {
      const { DatabaseSync } = loadOptional('@photostructure/sqlite') as { DatabaseSync: new (path: string) => NativeDatabase };
      return nativeConnection(new DatabaseSync(path));
    },
  },
  {
    name: 'libsql (native, better-sqlite3 API)',
    open: (path) => {
      const Database = loadOptional('libsql') as new (path: string) => NativeDatabase;
      return nativeConnection(new Database(path));
    },
  },
];

/** The values CREATE_RECORD_SQL binds. */
type Row = readonly Value[];

/** The records of one run, as the store's bound values (names are plain: no `freeText` needed). */
function makeRows(total: number, ids: IdPattern): Row[] {
  const next = dedupRecordSource({ ids, duplicateShare: 0.05, partitions: 64 });
  return Array.from({ length: total }, () => {
    const record = next();
    return [
      record.pk,
      record.id,
      record.locationOid,
      record.location,
      record.cameraOid,
      record.itemName,
      record.timestampMs,
      record.storedAt,
      Date.now(),
    ];
  });
}

interface Figures {
  readonly version: string;
  readonly writeUs: number;
  readonly readUs: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function measure(driver: Driver, template: string, workspace: string, rows: readonly Row[], batch: number): Figures {
  const path = join(workspace, `${driver.name.split(' ')[0]?.replace(/\W/g, '_') ?? 'driver'}.sqlite`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true, recursive: true });
  rmSync(`${path}.lock`, { force: true, recursive: true });
  copyFileSync(template, path);
  const connection = driver.open(path);
  try {
    connection.exec('PRAGMA journal_mode = WAL');
    for (const pragma of TUNING_PRAGMAS) connection.exec(pragma);
    const create = connection.prepare(CREATE_RECORD_SQL);
    const writeStarted = process.cpuUsage();
    for (let start = 0; start < rows.length; start += batch) {
      connection.exec('BEGIN IMMEDIATE');
      for (const row of rows.slice(start, start + batch)) create.run(row);
      connection.exec('COMMIT');
    }
    const writeMs = cpuMs(writeStarted);
    const read = connection.prepare(READ_CHANGES_SQL);
    const readStarted = process.cpuUsage();
    let readRows = 0;
    for (let after = 0; ;) {
      const chunk = read.all([after, 50_000]) as { lsn: number }[];
      if (chunk.length === 0) break;
      readRows += chunk.length;
      after = (chunk[chunk.length - 1] as { lsn: number }).lsn;
    }
    const readMs = cpuMs(readStarted);
    return { version: connection.version, writeUs: (writeMs * 1000) / rows.length, readUs: readRows > 0 ? (readMs * 1000) / readRows : 0 };
  } finally {
    connection.close();
  }
}

async function main(): Promise<void> {
  const options = optionsOrHelp(process.argv.slice(2), OPTIONS, {
    usage: 'tsx tools/lib/bench/sqliteDrivers.ts [options]',
    summary: 'CPU µs per event of the local store’s ingest statements under each installed SQLite driver.',
  });
  if (!options) return;
  const ids = idPattern(options.string('ids'));
  const total = options.number('events');
  const batch = options.number('batch');
  const rounds = options.number('rounds');

  const workspace = mkdtempSync(join(tmpdir(), 'sqlite-drivers-'));
  try {
    // The store creates its schema in a file of its own; every driver starts from a copy of it.
    const template = join(workspace, 'template.sqlite');
    await openLocalStore(template, { dedupTtlSeconds: 3600, dedupPartitions: 64 }).close();
    const installed = DRIVERS.filter((driver) => {
      try {
        driver.open(join(workspace, 'probe.sqlite')).close();
        return true;
      } catch (error) {
        console.log(`skipped ${driver.name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        return false;
      }
    });
    const rows = makeRows(total, ids);
    console.log(
      `${formatCount(total)} events, ${ids} ids, ${formatCount(batch)} per transaction, best of ${rounds} interleaved rounds (CPU µs per event)`,
    );
    const best = new Map<Driver, Figures>();
    for (let round = 0; round < rounds; round += 1) {
      for (const driver of installed) {
        const figures = measure(driver, template, workspace, rows, batch);
        const previous = best.get(driver);
        if (!previous || figures.writeUs + figures.readUs < previous.writeUs + previous.readUs) best.set(driver, figures);
      }
    }
    console.log(`${'driver'.padEnd(52)}${'SQLite'.padEnd(10)}${'create'.padStart(16)}${'change read'.padStart(14)}`);
    for (const [driver, figures] of best) {
      console.log(
        `${driver.name.padEnd(52)}${figures.version.padEnd(10)}${figures.writeUs.toFixed(2).padStart(16)}${figures.readUs.toFixed(2).padStart(14)}`,
      );
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

runTool(main);
