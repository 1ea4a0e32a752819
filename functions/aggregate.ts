import { app, type InvocationContext } from '@azure/functions';
import { applyChanges } from '../shared/pipeline/aggregate';
import { decodeChanges } from '../shared/pipeline/changes';
import { getServices } from '../shared/services';

/**
 * Cosmos DB trigger on the dedup container's change feed. Folds newly stored detections into the
 * per-location counters; redelivered and overlapping batches are skipped by the counters' watermarks.
 */
export async function aggregate(documents: unknown[], context: InvocationContext): Promise<void> {
  const { changes, malformed } = decodeChanges(documents);
  for (const problem of malformed) context.warn(`aggregate: skipped a malformed change: ${problem}`);
  const services = await getServices();
  const summary = await applyChanges(changes, { ...services, materializedTop: services.config.materializedTop });
  context.log(`aggregate: ${JSON.stringify(summary)}`);
}

app.cosmosDB('aggregate', {
  connection: 'CosmosDbConnection',
  databaseName: '%COSMOS_DATABASE%',
  containerName: '%COSMOS_DEDUP_CONTAINER%',
  leaseContainerName: '%COSMOS_LEASES_CONTAINER%',
  createLeaseContainerIfNotExists: false,
  startFromBeginning: true,
  // Bigger batches amortize the counter writes: a batch costs one commit per (location, window) it touches.
  maxItemsPerInvocation: 1000,
  // Poll an idle feed every second rather than every five, for freshness.
  feedPollDelay: 1000,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  handler: aggregate,
});
