import { app, type InvocationContext } from '@azure/functions';
import { chargesLine, requestMeter } from '../shared/charges';
import { decodeChanges } from '../shared/pipeline/changes';
import { tallyChanges, type TallySummary } from '../shared/pipeline/tally';
import { FEED_BATCH_MAX, FEED_CYCLE_SECONDS, pacedFeedHandler } from '../shared/pipeline/pacing';
import { getServices } from './services';

/**
 * Cosmos DB trigger on the dedup container's change feed: sums each batch of newly stored
 * detections into one tally per dedup partition (stage one of aggregation; `aggregate` folds the
 * tallies into the counters). Redelivered batches find their tallies already there. The summary is
 * logged and returned (the host ignores a trigger's return value; tests and the local host read it).
 */
export async function tally(documents: unknown[], context: InvocationContext): Promise<TallySummary> {
  const { changes, malformed } = decodeChanges(documents);
  for (const problem of malformed) context.warn(`tally: skipped a malformed change: ${problem}`);
  const services = await getServices();
  const { result: summary, charges } = await requestMeter.measure(() => tallyChanges(changes, services));
  context.log(`tally: ${JSON.stringify(summary)}`);
  context.log(chargesLine('tally', 0, charges));
  return summary;
}

app.cosmosDB('tally', {
  connection: 'CosmosDbConnection',
  databaseName: '%COSMOS_DATABASE%',
  containerName: '%COSMOS_DEDUP_CONTAINER%',
  leaseContainerName: '%COSMOS_LEASES_CONTAINER%',
  // Two functions share the lease container; each keeps its own leases under its prefix.
  leaseContainerPrefix: 'tally-',
  createLeaseContainerIfNotExists: false,
  startFromBeginning: true,
  // A tally per dedup partition per batch: bigger batches mean fewer, fuller tallies.
  maxItemsPerInvocation: FEED_BATCH_MAX,
  feedPollDelay: 1000,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  // The feed is read again as soon as a batch returns: holding small batches to a cycle keeps them full.
  handler: pacedFeedHandler(tally, { cycleSeconds: FEED_CYCLE_SECONDS.tally, batchMax: FEED_BATCH_MAX }),
});
