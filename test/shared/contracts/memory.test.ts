import { InMemoryCounterStore, InMemoryDedupStore, InMemoryMetrics, InMemoryTallyStore } from '../../support/memory';
import { talliesOf } from '../../support/aggregation';
import { counterStoreContract } from './counterStore.contract';
import { dedupStoreContract } from './dedupStore.contract';
import { metricsStoreContract } from './metricsStore.contract';
import { tallyStoreContract } from './tallyStore.contract';

dedupStoreContract('in-memory', () => new InMemoryDedupStore());
counterStoreContract('in-memory', () => {
  const store = new InMemoryCounterStore();
  return { store, rows: (locationOid) => Promise.resolve(store.rows(locationOid)), another: () => store };
});
metricsStoreContract('in-memory', () => new InMemoryMetrics());
tallyStoreContract('in-memory', () => {
  const store = new InMemoryTallyStore();
  return { store, tallies: () => Promise.resolve(talliesOf(store)) };
});
