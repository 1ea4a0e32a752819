import { app, type InvocationContext } from '@azure/functions';
import { applyTallies } from '../shared/pipeline/aggregate';
import { decodeTallies } from '../shared/pipeline/changes';
import { getServices } from './services';

/**
 * Cosmos DB trigger on the tallies container's change feed: folds tallies into the per-location
 * counters and their top-item rows (stage two of aggregation). The tallies container is small enough
 * to be one physical partition, so one lease, one writer: each counter is committed once per batch
 * however many leases the dedup container has. Redelivered tallies are skipped by the watermarks.
 */
export async function aggregate(documents: unknown[], context: InvocationContext): Promise<void> {
  const { tallies, malformed } = decodeTallies(documents);
  for (const problem of malformed) context.warn(`aggregate: skipped a malformed tally: ${problem}`);
  const services = await getServices();
  const summary = await applyTallies(tallies, { ...services, materializedTop: services.config.materializedTop });
  context.log(`aggregate: ${JSON.stringify(summary)}`);
}

app.cosmosDB('aggregate', {
  connection: 'CosmosDbConnection',
  databaseName: '%COSMOS_DATABASE%',
  containerName: '%COSMOS_TALLIES_CONTAINER%',
  leaseContainerName: '%COSMOS_LEASES_CONTAINER%',
  leaseContainerPrefix: 'aggregate-',
  createLeaseContainerIfNotExists: false,
  startFromBeginning: true,
  // A batch costs one commit per (location, window) it touches, however many tallies it holds.
  maxItemsPerInvocation: 1000,
  // Poll an idle feed every second rather than every five, for freshness.
  feedPollDelay: 1000,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  handler: aggregate,
});
