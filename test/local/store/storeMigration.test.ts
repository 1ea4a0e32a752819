import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 'node-sqlite3-wasm';
import { ManualClock } from '../../support/memory';
import { type CounterState, rowsOfCounter } from '../../../shared/domain/counters';
import { dedupPartitionOf } from '../../../shared/domain/partitioning';
import { type LocalStore, openLocalStore } from '../../../local/store';

// The layout the store had at schema version 1: JSON facts and change documents, materialized rows.
const VERSION_1_SCHEMA = `
CREATE TABLE dedup (pk TEXT NOT NULL, id TEXT NOT NULL, facts TEXT NOT NULL, stored_ms INTEGER NOT NULL, PRIMARY KEY (pk, id)) WITHOUT ROWID;
CREATE INDEX dedup_by_stored ON dedup (stored_ms);
CREATE TABLE changes (lsn INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL);
CREATE TABLE counters (location_oid TEXT NOT NULL, time_window TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (location_oid, time_window)) WITHOUT ROWID;
CREATE TABLE top_rows (location_oid TEXT NOT NULL, time_window TEXT NOT NULL, item_rank INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (location_oid, time_window, item_rank)) WITHOUT ROWID;
CREATE TABLE metrics (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE checkpoints (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('SCHEMA_VERSION', '1'), ('DEDUP_PARTITIONS', '64');
`;

// The layout at schema versions 2 and 3: dedup facts and the change log in two tables (version 2 had no tallies).
const VERSION_3_SCHEMA = `
CREATE TABLE dedup (pk TEXT NOT NULL, id TEXT NOT NULL, location_oid TEXT NOT NULL, item_name TEXT NOT NULL, stored_ms INTEGER NOT NULL, PRIMARY KEY (pk, id)) WITHOUT ROWID;
CREATE INDEX dedup_by_stored ON dedup (stored_ms);
CREATE TABLE changes (lsn INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, pk TEXT NOT NULL, location_oid TEXT NOT NULL, location TEXT, camera_oid TEXT NOT NULL, item_name TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, stored_at TEXT NOT NULL);
CREATE TABLE tallies (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, changes INTEGER NOT NULL, doc BLOB NOT NULL);
CREATE TABLE tally_cursors (pk TEXT PRIMARY KEY, last_sequence INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE counters (location_oid TEXT NOT NULL, time_window TEXT NOT NULL, state BLOB NOT NULL, row_count INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (location_oid, time_window)) WITHOUT ROWID;
CREATE TABLE metrics (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE checkpoints (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('SCHEMA_VERSION', '3'), ('DEDUP_PARTITIONS', '64');
`;

let workspace: string;
let store: LocalStore | undefined;

beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'store-migration-'));
});

afterEach(async () => {
  if (store && !store.database.isClosed) await store.close();
  store = undefined;
  rmSync(workspace, { recursive: true, force: true });
});

const nulName = 'nul\u0000inside \u{1F697}';
const change = (id: string, itemName: string, location: string | null) => ({
  id,
  pk: dedupPartitionOf(id, 64),
  locationOid: '9007199254740993',
  location,
  cameraOid: '7',
  itemName,
  timestampMs: Date.UTC(2026, 10, 22, 10, 5),
  storedAt: '2026-11-22T10:06:00.000Z',
});
const counter: CounterState = {
  locationOid: '9007199254740993',
  location: 'Quay\u0000side',
  window: 'all',
  items: [
    { name: nulName, count: 3 },
    { name: 'bus', count: 2 },
    { name: 'car', count: 1 },
  ],
  total: 6,
  watermarks: { [dedupPartitionOf('12', 64)]: 4 },
  updatedAt: '2026-11-22T10:07:00.000Z',
};

/** A version 1 store: changes 1 and 2 already folded and purged, 3 and 4 waiting; rows kept for the top 2. */
function writeVersion1Store(path: string, nowMs: number): void {
  const db = new Database(path);
  try {
    db.exec(VERSION_1_SCHEMA);
    const dedup = db.prepare('INSERT INTO dedup (pk, id, facts, stored_ms) VALUES (?, ?, ?, ?)');
    const changes = db.prepare('INSERT INTO changes (lsn, doc) VALUES (?, ?)');
    for (const [lsn, doc] of [
      [1, change('10', 'car', 'Quay\u0000side')],
      [2, change('11', 'bus', 'Quay\u0000side')],
      [3, change('12', nulName, 'Quay\u0000side')],
      [4, change('13', 'bus', null)],
    ] as const) {
      dedup.run([doc.pk, doc.id, JSON.stringify({ locationOid: doc.locationOid, itemName: doc.itemName }), nowMs]);
      changes.run([lsn, JSON.stringify(doc)]);
    }
    dedup.finalize();
    changes.finalize();
    db.run('DELETE FROM changes WHERE lsn <= 2');
    db.run('INSERT INTO counters (location_oid, time_window, state, version) VALUES (?, ?, ?, 5)', [
      counter.locationOid,
      'all',
      JSON.stringify(counter),
    ]);
    for (const row of rowsOfCounter(counter, 2)) {
      db.run('INSERT INTO top_rows (location_oid, time_window, item_rank, row) VALUES (?, ?, ?, ?)', [
        counter.locationOid,
        'all',
        row.item_rank,
        JSON.stringify(row),
      ]);
    }
  } finally {
    db.close();
  }
}

describe('opening a store written at schema version 1', () => {
  it('moves it to the column layout and keeps every fact, the change sequence and the counters', async () => {
    const clock = new ManualClock();
    const path = join(workspace, 'store.sqlite');
    writeVersion1Store(path, clock.now());

    store = openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64, clock });

    // The waiting changes, exactly as written (U+0000 and astral characters included).
    expect(await store.changes.readAfter(0, 10)).toEqual([
      { ...change('12', nulName, 'Quay\u0000side'), _lsn: 3 },
      { ...change('13', 'bus', null), _lsn: 4 },
    ]);
    // The sequence goes on from where it was, never reusing a purged number.
    expect(store.dedup.head()).toBe(4);
    // Stored ids are still remembered, with the facts a conflicting copy is judged against.
    expect(await store.dedup.createMany([{ ...change('12', 'tram', null) }, { ...change('14', 'car', null) }])).toEqual([
      { status: 'duplicate', existing: { locationOid: '9007199254740993', itemName: nulName } },
      { status: 'created' },
    ]);
    // The copy of '12' used up lsn 5 (an lsn may skip numbers, see the local store's tests).
    expect((await store.changes.readAfter(4, 10)).map((entry) => [entry.id, entry._lsn])).toEqual([['14', 6]]);

    // The counter and its etag are unchanged; its rows come out as the ones materialized before (top 2).
    const stored = (await store.counters.read(counter.locationOid, ['all'])).get('all');
    expect(stored).toEqual({ state: counter, etag: '5' });
    expect(await store.counters.rows(counter.locationOid)).toEqual(rowsOfCounter(counter, 2));

    await store.close();
    // Reopening finds the current version and migrates nothing twice.
    store = openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64, clock });
    expect(store.dedup.head()).toBe(6);
    expect(store.database.db.get("SELECT value FROM meta WHERE key = 'SCHEMA_VERSION'")).toEqual({ value: '5' });
  });

  it('never hands out a sequence again when every change was already folded and purged', async () => {
    const clock = new ManualClock();
    const path = join(workspace, 'purged.sqlite');
    writeVersion1Store(path, clock.now());
    const db = new Database(path);
    db.run('DELETE FROM changes');
    db.close();

    store = openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64, clock });
    expect(await store.changes.readAfter(0, 10)).toEqual([]);
    expect(store.dedup.head()).toBe(4);
    await store.dedup.createMany([change('20', 'car', null)]);
    expect((await store.changes.readAfter(0, 10)).map((entry) => entry._lsn)).toEqual([5]);
  });

  it('refuses a store from a version it does not know, and leaves it alone', async () => {
    const path = join(workspace, 'future.sqlite');
    const db = new Database(path);
    db.exec(VERSION_1_SCHEMA.replace("('SCHEMA_VERSION', '1')", "('SCHEMA_VERSION', '9')"));
    db.close();
    expect(() => openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64 })).toThrow(
      /SCHEMA_VERSION is 5 but the store .* was created with 9/,
    );
    // A failed open closes the connection in the background: give it a moment before the workspace goes.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});

/**
 * A version 3 store (with `version: '2'`, the same without the tallies and with the change log's
 * checkpoint under its old name). Ids and their changes:
 * - '1': stored, tallied, its change purged: only its dedup row is left;
 * - '2': stored, its change (lsn 4) waiting;
 * - '3': stored (lsn 3), expired, stored again (lsn 5): both changes waiting, the dedup row the second's;
 * - '4': its change (lsn 6) waiting, its dedup row purged by the TTL;
 * - lsn 7 was handed out and purged ('5', tallied), so the sequence stands at 7.
 * The tally stage's checkpoint is at 2.
 */
function writeVersion3Store(path: string, nowMs: number, version: '2' | '3' = '3'): void {
  const db = new Database(path);
  try {
    db.exec(VERSION_3_SCHEMA);
    const dedup = db.prepare('INSERT INTO dedup (pk, id, location_oid, item_name, stored_ms) VALUES (?, ?, ?, ?, ?)');
    const append = db.prepare(
      'INSERT INTO changes (lsn, id, pk, location_oid, location, camera_oid, item_name, timestamp_ms, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const changeRow = (lsn: number, id: string, itemName: string) => {
      const doc = change(id, itemName, 'Quay');
      append.run([lsn, doc.id, doc.pk, doc.locationOid, doc.location, doc.cameraOid, doc.itemName, doc.timestampMs, doc.storedAt]);
    };
    for (const [id, itemName, storedMs] of [
      ['1', 'car', nowMs - 1000],
      ['2', 'bus', nowMs - 900],
      ['3', 'tram', nowMs - 800],
      ['5', 'van', nowMs - 700],
    ] as const) {
      dedup.run([dedupPartitionOf(id, 64), id, '9007199254740993', itemName, storedMs]);
    }
    changeRow(3, '3', 'car');
    changeRow(4, '2', 'bus');
    changeRow(5, '3', 'tram');
    changeRow(6, '4', 'dog');
    changeRow(7, '5', 'van');
    db.run('DELETE FROM changes WHERE lsn = 7');
    dedup.finalize();
    append.finalize();
    db.run('INSERT INTO checkpoints (consumer, position, updated_ms) VALUES (?, 2, 0)', [
      version === '2' ? 'changes/aggregate' : 'changes/tally',
    ]);
    if (version === '2') {
      db.exec("DROP TABLE tallies; DROP TABLE tally_cursors; UPDATE meta SET value = '2' WHERE key = 'SCHEMA_VERSION'");
    }
  } finally {
    db.close();
  }
}

describe('opening a store written at schema version 2', () => {
  it('hands the change log checkpoint to the tally stage and keeps the counters, so nothing is counted twice or lost', async () => {
    const clock = new ManualClock();
    const path = join(workspace, 'version2.sqlite');
    writeVersion3Store(path, clock.now(), '2');

    store = openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64, clock });
    expect(store.database.db.get("SELECT value FROM meta WHERE key = 'SCHEMA_VERSION'")).toEqual({ value: '5' });
    expect(await store.checkpoints.list('changes/')).toEqual(new Map([['changes/tally', 2]]));
    expect(await store.tallies.readAfter(0, 10)).toEqual([]);
    expect(await store.tallies.cursor(change('3', 'car', null).pk)).toEqual({ lastSequence: null, etag: null });
    expect((await store.changes.readAfter(2, 10)).map((entry) => entry._lsn)).toEqual([3, 4, 5, 6]);
  });
});

describe('opening a store written at schema version 3', () => {
  it('makes the dedup table its own change feed: every waiting change at its lsn, every stored id remembered', async () => {
    const clock = new ManualClock();
    const path = join(workspace, 'version3.sqlite');
    writeVersion3Store(path, clock.now());

    store = openLocalStore(path, { dedupTtlSeconds: 3600, dedupPartitions: 64, clock });
    expect(store.database.db.get("SELECT value FROM meta WHERE key = 'SCHEMA_VERSION'")).toEqual({ value: '5' });
    expect(store.database.db.get("SELECT count(*) AS tables FROM sqlite_master WHERE name = 'changes'")).toEqual({ tables: 0 });

    // The tally stage reads on from its checkpoint exactly what was waiting, both changes of '3' included.
    expect((await store.changes.readAfter(2, 10)).map((entry) => [entry.id, entry.itemName, entry._lsn])).toEqual([
      ['3', 'car', 3],
      ['2', 'bus', 4],
      ['3', 'tram', 5],
      ['4', 'dog', 6],
    ]);
    expect((await store.changes.readAfter(2, 10))[0]).toEqual({ ...change('3', 'car', 'Quay'), _lsn: 3 });
    // The sequence goes on past the purged lsn 7.
    expect(store.dedup.head()).toBe(7);

    // Ids are judged as before: '1' (tallied long ago) and '3' (its newest copy) are remembered; '4'
    // had expired (its dedup row was purged), so it is stored anew.
    expect(
      await store.dedup.createMany([
        change('1', 'bus', null),
        change('3', 'bus', null),
        change('4', 'dog', null),
        change('6', 'car', null),
      ]),
    ).toEqual([
      { status: 'duplicate', existing: { locationOid: '9007199254740993', itemName: 'car' } },
      { status: 'duplicate', existing: { locationOid: '9007199254740993', itemName: 'tram' } },
      { status: 'created' },
      { status: 'created' },
    ]);
    const created = (await store.changes.readAfter(6, 10)).map((entry) => entry.id);
    expect(created).toEqual(['4', '6']);

    // Once the tally stage has read through lsn 6, the purge drops what expired: the superseded copy
    // of '3' and the expired '4'; '1' and the live '3' stay until their TTL.
    expect(await store.dedup.purgeExpired(6)).toBe(2);
    clock.advance(3_600_000);
    expect(await store.dedup.purgeExpired(store.dedup.head())).toBe(6);
  });
});
