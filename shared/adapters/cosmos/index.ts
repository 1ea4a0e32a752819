export { createCosmosClient, statusOf } from './client';
export { CosmosCounterStore, CounterBatchError, counterId, rowId, type CounterDocument, type RowDocument } from './counterStore';
export { CosmosDedupStore, type CosmosDedupOptions, type DedupDocument } from './dedupStore';
export { CosmosMetricsStore, METRICS_ID, METRICS_PARTITION } from './metricsStore';
export { CosmosTallyStore, CURSOR_ID, TallyBatchError, type TallyCursorDocument, type TallyDocument } from './tallyStore';
