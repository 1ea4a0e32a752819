import { type CounterState, rowsOfCounter } from '../../shared/domain/counters';
import { freeText, jsonBlob, parseJsonColumn } from './codec';
import type { LocalDatabase } from './database';

/**
 * The tables of the local store. Ids are TEXT (canonical decimal strings), never SQLite integers,
 * so nothing above 2^53 passes through a JS double on the way in or out. Free text (item and
 * location names) goes through `freeText` (codec.ts): a name with an embedded U+0000 or an unpaired
 * surrogate is stored as a BLOB of its JSON literal. Larger JSON payloads (counter states) are bound as UTF-8 BLOBs.
 */
export const SCHEMA_VERSION = '5';

// The version 2 and 3 layout of the dedup facts and the change log, as functions of the table name, so
// that the version 1 migration can build that layout beside its own; version 4 merges the two.
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

/**
 * Version 4: the dedup table is its own change feed, as a Cosmos DB container's change feed is its
 * items. `lsn` orders the records as they were created (the `_lsn` the tally stage reads); the unique
 * index over the live records is the create-only check. An id stored again after its TTL supersedes
 * its old record rather than replacing it, so an old change the tally stage has not read yet stays
 * in the feed until it has; the purge only drops records that are expired *and* tallied.
 * camera_oid, timestamp_ms and stored_at are NULL only for ids carried over from a version 3 store
 * whose change had already been tallied (at negative lsn, below every feed position).
 */
const recordsTable = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  lsn INTEGER PRIMARY KEY AUTOINCREMENT,
  pk TEXT NOT NULL,
  id TEXT NOT NULL,
  location_oid TEXT NOT NULL,
  location TEXT,
  camera_oid TEXT,
  item_name TEXT NOT NULL,
  timestamp_ms INTEGER,
  stored_at TEXT,
  stored_ms INTEGER NOT NULL,
  superseded INTEGER NOT NULL DEFAULT 0
);`;

const SCHEMA = `
-- location_oid, item_name: the first copy's facts, kept to tell a conflicting copy from an identical one.
-- AUTOINCREMENT: an lsn is never handed out twice, even after the records below it are purged.
${recordsTable('dedup')}
CREATE UNIQUE INDEX IF NOT EXISTS dedup_live_ids ON dedup (pk, id) WHERE superseded = 0;
CREATE INDEX IF NOT EXISTS dedup_by_stored ON dedup (stored_ms);

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

-- state: JSON of the CounterState, as a UTF-8 BLOB. rows: JSON of the flat top rows as last written
-- (row_count of them), rows_due: set by each commit until the rows are written (see SqliteCounterStore).
CREATE TABLE IF NOT EXISTS counters (
  location_oid TEXT NOT NULL,
  time_window TEXT NOT NULL,
  state BLOB NOT NULL,
  row_count INTEGER NOT NULL,
  version INTEGER NOT NULL,
  rows_due INTEGER NOT NULL DEFAULT 1,
  rows BLOB,
  PRIMARY KEY (location_oid, time_window)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_rows_due ON counters (rows_due) WHERE rows_due = 1;

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
    const older = stored === '1' || stored === '2' || stored === '3' || stored === '4';
    // A version this code does not know is left alone: opening the store then fails on its pinned
    // SCHEMA_VERSION, with a message naming both versions.
    if (stored === undefined || stored === SCHEMA_VERSION || older) {
      // Each step takes the layout of the version before it; the tables new in a version come with SCHEMA.
      if (stored === '1') migrateFromVersion1(database);
      if (stored === '1' || stored === '2') migrateFromVersion2(database);
      if (older && stored !== '4') migrateFromVersion3(database);
      if (older) migrateFromVersion4(database);
      db.exec(SCHEMA);
      if (older) db.run("UPDATE meta SET value = ? WHERE key = 'SCHEMA_VERSION'", [SCHEMA_VERSION]);
    }
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
 * Version 2 folded the change log straight into the counters. Version 3 tallies it first (the
 * `tallies` tables come with the schema): the change log's checkpoint now belongs to the tally
 * stage. The counters' watermarks already hold the last change folded per partition, which is
 * exactly what the tally stage's watermarks mean, so the counters carry over as they are.
 */
function migrateFromVersion2(database: LocalDatabase): void {
  database.db.run("UPDATE checkpoints SET consumer = 'changes/tally' WHERE consumer = 'changes/aggregate'");
}

/**
 * Version 3 kept the dedup facts and the change log in two tables; version 4 keeps one record per
 * stored detection (see recordsTable). Every change still in the log becomes a record at its own lsn,
 * so the tally stage reads on from its checkpoint as before: the newest change of an id is its live
 * record, with the store time of its dedup row (0 if that row was already purged: expired); an older
 * change of the same id (stored again after its TTL) becomes a superseded record. An id whose change
 * was already tallied and purged keeps only its facts, at a negative lsn no feed position reaches.
 * The lsn sequence goes on from the change log's.
 */
function migrateFromVersion3(database: LocalDatabase): void {
  const { db } = database;
  db.exec(recordsTable('dedup_v4'));
  // Both statements below look changes up by id; without this index the second is quadratic.
  db.exec('CREATE INDEX changes_by_id ON changes (pk, id, lsn)');
  db.exec(`
    INSERT INTO dedup_v4 (lsn, pk, id, location_oid, location, camera_oid, item_name, timestamp_ms, stored_at, stored_ms, superseded)
    SELECT c.lsn, c.pk, c.id, c.location_oid, c.location, c.camera_oid, c.item_name, c.timestamp_ms, c.stored_at,
           CASE WHEN newest.lsn = c.lsn THEN coalesce(d.stored_ms, 0) ELSE 0 END,
           CASE WHEN newest.lsn = c.lsn THEN 0 ELSE 1 END
    FROM changes c
    JOIN (SELECT pk, id, max(lsn) AS lsn FROM changes GROUP BY pk, id) newest ON newest.pk = c.pk AND newest.id = c.id
    LEFT JOIN dedup d ON d.pk = c.pk AND d.id = c.id;
    INSERT INTO dedup_v4 (lsn, pk, id, location_oid, item_name, stored_ms)
    SELECT -row_number() OVER (ORDER BY d.stored_ms, d.pk, d.id), d.pk, d.id, d.location_oid, d.item_name, d.stored_ms
    FROM dedup d
    WHERE NOT EXISTS (SELECT 1 FROM changes c WHERE c.pk = d.pk AND c.id = d.id);
  `);
  const sequence = (db.get("SELECT seq FROM sqlite_sequence WHERE name = 'changes'") as { seq: number } | null)?.seq ?? 0;
  db.exec('DROP TABLE changes');
  db.exec('DROP TABLE dedup');
  db.exec('ALTER TABLE dedup_v4 RENAME TO dedup');
  db.run("DELETE FROM sqlite_sequence WHERE name IN ('changes', 'dedup', 'dedup_v4')");
  db.run("INSERT INTO sqlite_sequence (name, seq) VALUES ('dedup', ?)", [sequence]);
}

/**
 * Version 4 derived the flat rows from the counters on read (`row_count` of them); version 5 writes
 * them on a cadence. Each counter's rows are written as version 4 derived them, so they read the same.
 */
function migrateFromVersion4(database: LocalDatabase): void {
  const { db } = database;
  db.exec('ALTER TABLE counters ADD COLUMN rows_due INTEGER NOT NULL DEFAULT 1');
  db.exec('ALTER TABLE counters ADD COLUMN rows BLOB');
  const update = db.prepare('UPDATE counters SET rows = ?, rows_due = 0 WHERE location_oid = ? AND time_window = ?');
  try {
    eachRow<{ location_oid: string; time_window: string; state: unknown; row_count: number }>(
      database,
      'SELECT location_oid, time_window, state, row_count FROM counters',
      (row) => {
        const rows = rowsOfCounter(parseJsonColumn<CounterState>(row.state), row.row_count);
        update.run([jsonBlob(rows), row.location_oid, row.time_window]);
      },
    );
  } finally {
    update.finalize();
  }
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
