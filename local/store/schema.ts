import type { LocalDatabase } from './database';

/**
 * The tables of the local store. Ids are TEXT (canonical decimal strings), never SQLite integers,
 * so nothing above 2^53 passes through a JS double on the way in or out. Free text (item and
 * location names) goes through `freeText` (codec.ts): the driver binds strings as NUL-terminated C
 * strings, which would cut a name at an embedded U+0000, so such a name is stored as a BLOB of its
 * JSON literal instead. Larger JSON payloads (counter states) are bound as UTF-8 BLOBs.
 */
export const SCHEMA_VERSION = '2';

const SCHEMA = `
-- location_oid, item_name: the first copy's facts, kept to tell a conflicting copy from an identical one.
CREATE TABLE IF NOT EXISTS dedup (
  pk TEXT NOT NULL,
  id TEXT NOT NULL,
  location_oid TEXT NOT NULL,
  item_name TEXT NOT NULL,
  stored_ms INTEGER NOT NULL,
  PRIMARY KEY (pk, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_by_stored ON dedup (stored_ms);

-- The stored records, in the order they were created. AUTOINCREMENT: a sequence is never handed out
-- twice, even after the aggregated head is purged.
CREATE TABLE IF NOT EXISTS changes (
  lsn INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  pk TEXT NOT NULL,
  location_oid TEXT NOT NULL,
  location TEXT,
  camera_oid TEXT NOT NULL,
  item_name TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  stored_at TEXT NOT NULL
);

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
  database.db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
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
