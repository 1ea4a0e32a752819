import { InMemoryCounterStore, InMemoryDedupStore, InMemoryMetrics } from '../../../shared/adapters/memory';
import { counterStoreContract } from './counterStore.contract';
import { dedupStoreContract } from './dedupStore.contract';
import { metricsStoreContract } from './metricsStore.contract';

dedupStoreContract('in-memory', () => new InMemoryDedupStore());
counterStoreContract('in-memory', () => {
  const store = new InMemoryCounterStore();
  return { store, rows: (locationOid) => Promise.resolve(store.rows(locationOid)) };
});
metricsStoreContract('in-memory', () => new InMemoryMetrics());
