import { app, type InvocationContext } from '@azure/functions';
import { chargesLine, requestMeter } from '../shared/charges';
import { type AggregateSummary, applyTallies } from '../shared/pipeline/aggregate';
import { decodeTallies } from '../shared/pipeline/changes';
import { refreshRows, workerRowsCadence } from '../shared/pipeline/refreshRows';
import { FEED_BATCH_MAX, FEED_CYCLE_SECONDS, pacedFeedHandler } from '../shared/pipeline/pacing';
import { getServices } from './services';

/**
 * Cosmos DB trigger on the tallies container's change feed: folds tallies into the per-location
 * counters (stage two of aggregation); once per ROWS_REFRESH_SECONDS, it writes the flat Power BI
 * rows of the counters that changed, with the commits of that batch. The tallies container is small enough to be one physical
 * partition, so one lease, one writer: each counter is committed once per batch however many
 * leases the dedup container has. Redelivered tallies are skipped by the watermarks. The summary is
 * logged and returned (the host ignores a trigger's return value; tests read it).
 */
export async function aggregate(documents: unknown[], context: InvocationContext): Promise<AggregateSummary> {
  const { tallies, malformed } = decodeTallies(documents);
  for (const problem of malformed) context.warn(`aggregate: skipped a malformed tally: ${problem}`);
  const services = await getServices();
  const { config } = services;
  const deps = { ...services, hourlyRetentionDays: config.hourlyRetentionDays };
  const { result, charges } = await requestMeter.measure(async () => {
    // When this worker's rows are due, the counters this batch commits carry their rows; the refresh
    // then writes the due counters the batch did not touch, found in this worker's counter cache.
    const withRows = await workerRowsCadence.maybe(services.clock.now(), config.rowsRefreshSeconds * 1000, async () => {
      const summary = await applyTallies(tallies, { ...deps, rowsTop: config.materializedTop });
      // The counters are committed: a failed rows write must not make the trigger redeliver the batch.
      // Its rows stay due, and the next refresh (here or on the timer) writes them.
      const rows = await refreshRows({ ...deps, materializedTop: config.materializedTop, fromCache: true }).catch((error: unknown) => {
        context.warn(`rows refresh failed, the rows stay due: ${(error as Error).message}`);
        return undefined;
      });
      return { summary, rows };
    });
    return withRows ?? { summary: await applyTallies(tallies, deps), rows: undefined };
  });
  context.log(`aggregate: ${JSON.stringify(result.summary)}`);
  if (result.rows) context.log(`refreshRows: ${JSON.stringify(result.rows)}`);
  context.log(chargesLine('aggregate', 0, charges));
  return result.summary;
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
  maxItemsPerInvocation: FEED_BATCH_MAX,
  // Poll an idle feed every second rather than every five, for freshness.
  feedPollDelay: 1000,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  // The feed is read again as soon as a batch returns: holding small batches to a cycle keeps them full.
  handler: pacedFeedHandler(aggregate, { cycleSeconds: FEED_CYCLE_SECONDS.aggregate, batchMax: FEED_BATCH_MAX }),
});
