export { createCosmosClient, statusOf } from './client';
export { runConditionalBatch, TransactionalBatchError, type ConditionalBatchOutcome } from './batch';
export { CosmosCounterStore, counterId, rowId, type CounterDocument, type RowDocument } from './counterStore';
export { CosmosDedupStore, type CosmosDedupOptions, type DedupDocument } from './dedupStore';
export { CosmosMetricsStore, METRICS_ID, METRICS_PARTITION } from './metricsStore';
export { CosmosTallyStore, CURSOR_ID, type TallyCursorDocument } from './tallyStore';
