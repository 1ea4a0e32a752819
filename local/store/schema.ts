import { freeText, parseJsonColumn } from './codec';
import type { LocalDatabase } from './database';

/**
 * The tables of the local store. Ids are TEXT (canonical decimal strings), never SQLite integers,
 * so nothing above 2^53 passes through a JS double on the way in or out. Free text (item and
 * location names) goes through `freeText` (codec.ts): the driver binds strings as NUL-terminated C
 * strings, which would cut a name at an embedded U+0000, so such a name is stored as a BLOB of its
 * JSON literal instead. Larger JSON payloads (counter states) are bound as UTF-8 BLOBs.
 */
export const SCHEMA_VERSION = '3';

// Functions of the table name, so that the version 1 migration can build the new layout beside the old.
const dedupTable = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  pk TEXT NOT NULL,
  id TEXT NOT NULL,
  location_oid TEXT NOT NULL,
  item_name TEXT NOT NULL,
  stored_ms INTEGER NOT NULL,
  PRIMARY KEY (pk, id)
) WITHOUT ROWID;`;

const changesTable = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  lsn INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  pk TEXT NOT NULL,
  location_oid TEXT NOT NULL,
  location TEXT,
  camera_oid TEXT NOT NULL,
  item_name TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  stored_at TEXT NOT NULL
);`;

const SCHEMA = `
-- location_oid, item_name: the first copy's facts, kept to tell a conflicting copy from an identical one.
${dedupTable('dedup')}
CREATE INDEX IF NOT EXISTS dedup_by_stored ON dedup (stored_ms);

-- The stored records, in the order they were created. AUTOINCREMENT: a sequence is never handed out
-- twice, even after the aggregated head is purged.
${changesTable('changes')}

-- Tallies between the two aggregation stages (shared/domain/tallies.ts), in creation order. doc: the
-- tally as JSON, a UTF-8 BLOB. AUTOINCREMENT, as for changes: the aggregator's checkpoint is a seq.
CREATE TABLE IF NOT EXISTS tallies (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  changes INTEGER NOT NULL,
  doc BLOB NOT NULL
);

-- Per dedup partition, the last change sequence tallied; version is the etag of the conditional move.
CREATE TABLE IF NOT EXISTS tally_cursors (
  pk TEXT PRIMARY KEY,
  last_sequence INTEGER NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;

-- state: JSON of the CounterState, as a UTF-8 BLOB. row_count: how many top rows its last commit
-- carried; the rows themselves are derived from the state (see SqliteCounterStore).
CREATE TABLE IF NOT EXISTS counters (
  location_oid TEXT NOT NULL,
  time_window TEXT NOT NULL,
  state BLOB NOT NULL,
  row_count INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (location_oid, time_window)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS metrics (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checkpoints (
  consumer TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

export function ensureSchema(database: LocalDatabase): void {
  const { db } = database;
  db.exec('BEGIN IMMEDIATE');
  try {
    const stored = storedSchemaVersion(database);
    if (stored === '1') migrateFromVersion1(database);
    db.exec(SCHEMA);
    if (stored === '1' || stored === '2') migrateFromVersion2(database);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function storedSchemaVersion(database: LocalDatabase): string | undefined {
  const hasMeta = database.db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'meta'") as {
    found: number;
  } | null;
  if (!hasMeta) return undefined;
  const row = database.db.get("SELECT value FROM meta WHERE key = 'SCHEMA_VERSION'") as { value: string } | null;
  return row?.value;
}

/**
 * Version 1 kept the dedup facts and the change-log entries as JSON text, and materialized the top
 * rows. Rewrites both tables in the column layout (names through `freeText`), keeps each counter's
 * row count, and keeps the change sequence where it was (it must never go back). Runs inside the
 * caller's transaction: a failure leaves the version 1 store as it was. The version 2 migration
 * follows it.
 */
function migrateFromVersion1(database: LocalDatabase): void {
  const { db } = database;
  db.exec('ALTER TABLE counters ADD COLUMN row_count INTEGER NOT NULL DEFAULT 0');
  db.exec(
    'UPDATE counters SET row_count = (SELECT count(*) FROM top_rows WHERE top_rows.location_oid = counters.location_oid AND top_rows.time_window = counters.time_window)',
  );
  db.exec('DROP TABLE top_rows');

  db.exec(dedupTable('dedup_v2'));
  const insertDedup = db.prepare('INSERT INTO dedup_v2 (pk, id, location_oid, item_name, stored_ms) VALUES (?, ?, ?, ?, ?)');
  try {
    eachRow<V1DedupRow>(database, 'SELECT pk, id, facts, stored_ms FROM dedup', (row) => {
      const facts = parseJsonColumn<{ locationOid: string; itemName: string }>(row.facts);
      insertDedup.run([row.pk, row.id, facts.locationOid, freeText(facts.itemName), row.stored_ms]);
    });
  } finally {
    insertDedup.finalize();
  }
  db.exec('DROP TABLE dedup');
  db.exec('ALTER TABLE dedup_v2 RENAME TO dedup');

  const sequence = (db.get("SELECT seq FROM sqlite_sequence WHERE name = 'changes'") as { seq: number } | null)?.seq ?? 0;
  db.exec(changesTable('changes_v2'));
  const insertChange = db.prepare(
    'INSERT INTO changes_v2 (lsn, id, pk, location_oid, location, camera_oid, item_name, timestamp_ms, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  try {
    eachRow<V1ChangeRow>(database, 'SELECT lsn, doc FROM changes ORDER BY lsn', (row) => {
      const doc = parseJsonColumn<V1ChangeDocument>(row.doc);
      insertChange.run([
        row.lsn,
        doc.id,
        doc.pk,
        doc.locationOid,
        doc.location === null ? null : freeText(doc.location),
        doc.cameraOid,
        freeText(doc.itemName),
        doc.timestampMs,
        doc.storedAt,
      ]);
    });
  } finally {
    insertChange.finalize();
  }
  db.exec('DROP TABLE changes');
  db.exec('ALTER TABLE changes_v2 RENAME TO changes');
  db.run("DELETE FROM sqlite_sequence WHERE name IN ('changes', 'changes_v2')");
  db.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('changes', ?)", [sequence]);
}

/**
 * Version 2 folded the change log straight into the counters. Version 3 tallies it first (the new
 * `tallies` table comes with the schema): the change log's checkpoint now belongs to the tally
 * stage. The counters' watermarks already hold the last change folded per partition, which is
 * exactly what the tally stage's watermarks mean, so the counters carry over as they are.
 */
function migrateFromVersion2(database: LocalDatabase): void {
  const { db } = database;
  db.run("UPDATE checkpoints SET consumer = 'changes/tally' WHERE consumer = 'changes/aggregate'");
  db.run("UPDATE meta SET value = ? WHERE key = 'SCHEMA_VERSION'", [SCHEMA_VERSION]);
}

/** Streams the rows of a query (a table may be larger than memory), then frees the statement. */
function eachRow<T>(database: LocalDatabase, sql: string, visit: (row: T) => void): void {
  const statement = database.db.prepare(sql);
  try {
    for (const row of statement.iterate() as Iterable<T>) visit(row);
  } finally {
    statement.finalize();
  }
}

interface V1DedupRow {
  pk: string;
  id: string;
  facts: unknown;
  stored_ms: number;
}

interface V1ChangeRow {
  lsn: number;
  doc: unknown;
}

interface V1ChangeDocument {
  id: string;
  pk: string;
  locationOid: string;
  location: string | null;
  cameraOid: string;
  itemName: string;
  timestampMs: number;
  storedAt: string;
}

/**
 * Pins a setting that must not change while data lives (the dedup partition count): stored on first
 * open, compared afterwards. Throws a message naming both values.
 */
export function pinSetting(database: LocalDatabase, key: string, value: string, hint: string): void {
  const row = database.db.get('SELECT value FROM meta WHERE key = ?', key) as { value: string } | null;
  if (row === null) {
    database.db.run('INSERT INTO meta (key, value) VALUES (?, ?)', [key, value]);
    return;
  }
  if (row.value !== value) throw new Error(`${key} is ${value} but the store at ${database.path} was created with ${row.value}: ${hint}`);
}
