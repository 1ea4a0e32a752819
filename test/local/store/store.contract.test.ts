import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStore, openLocalStore, SqliteCounterStore } from '../../../local/store';
import { counterStoreContract } from '../../shared/contracts/counterStore.contract';
import { dedupStoreContract } from '../../shared/contracts/dedupStore.contract';
import { metricsStoreContract } from '../../shared/contracts/metricsStore.contract';
import { tallyStoreContract } from '../../shared/contracts/tallyStore.contract';
import { talliesFrom } from '../../support/aggregation';

// Each contract case gets a fresh, empty SQLite file, as it would get an empty container.
const workspace = mkdtempSync(join(tmpdir(), 'store-contract-'));
const opened: LocalStore[] = [];
let counter = 0;

function freshStore(): LocalStore {
  counter += 1;
  const store = openLocalStore(join(workspace, `store-${counter}.sqlite`), { dedupTtlSeconds: 3600, dedupPartitions: 64 });
  opened.push(store);
  return store;
}

afterAll(async () => {
  for (const store of opened) await store.close();
  rmSync(workspace, { recursive: true, force: true });
});

dedupStoreContract('SQLite', () => freshStore().dedup);
counterStoreContract('SQLite', () => {
  const { counters, database } = freshStore();
  return { store: counters, rows: (locationOid) => counters.rows(locationOid), another: () => new SqliteCounterStore(database) };
});
metricsStoreContract('SQLite', () => freshStore().metrics);
tallyStoreContract('SQLite', () => {
  const { tallies } = freshStore();
  return { store: tallies, tallies: async () => talliesFrom(await tallies.readAfter(0, 1_000)) };
});
