import { requestMeter } from '../../charges';
import { loadAzureConfig } from '../../config';
import { systemClock } from '../../ports';
import { once } from '../../once';
import type { Services } from '../../services';
import { BlobDeadLetterSink, BlobLocationSource, createBlobServiceClient } from '../blob';
import { BlobCaptureArchive, captureLocationOf } from '../blob/captureArchive';
import { CosmosCounterStore, CosmosDedupStore, CosmosMetricsStore, CosmosTallyStore, createCosmosClient } from '../cosmos';
import { createProducer, EventHubPublisher } from '../eventhubs';

/** GET /api/health is anonymous: each worker answers it from one read per this many ms. */
export const HEALTH_CACHE_MS = 5_000;

/**
 * The Services bundle of the Function app, built once per worker on first use: settings read and
 * checked, one SDK client per service (they hold connection pools, token caches and partition maps),
 * and Dataset B downloaded on first need and kept.
 */
export function createAzureServices(): Promise<Services> {
  const config = loadAzureConfig();
  const database = createCosmosClient(config.cosmos).database(config.cosmosDatabase);
  const topItems = database.container(config.topItemsContainer);
  const blobs = createBlobServiceClient(config.storage);
  const locationSource = new BlobLocationSource(blobs, config.referenceContainer, config.datasetBBlob);

  const counters = new CosmosCounterStore(topItems, requestMeter);

  return Promise.resolve({
    host: 'azure',
    config,
    clock: systemClock,
    dedup: new CosmosDedupStore(database.container(config.dedupContainer), {
      itemTtlSeconds: config.dedupTtlSeconds,
      meter: requestMeter,
    }),
    tallies: new CosmosTallyStore(database.container(config.talliesContainer), requestMeter),
    // One instance for both: the rows refresh keeps the counter cache's ETags current.
    counters,
    rows: counters,
    // The infrastructure creates the container; the app's identity may write blobs but not create containers.
    deadLetters: new BlobDeadLetterSink(blobs, config.deadLetterContainer),
    metrics: new CosmosMetricsStore(topItems, requestMeter),
    publisher: new EventHubPublisher(createProducer(config.eventHubs, config.eventHubName)),
    locations: once(() => locationSource.load()),
    // Neither backlog is visible from inside a worker: the Event Hubs one lives in the host's
    // checkpoint store and the change-feed one needs the lease container's estimator. Azure Monitor
    // shows both (Event Hubs incoming vs outgoing messages; the Functions scale controller's lag).
    backlog: () => Promise.resolve({ events: null, changes: null }),
    // Event Hubs Capture writes here; replay reads it.
    healthCacheMs: HEALTH_CACHE_MS,
    captures: new BlobCaptureArchive(blobs, config.captureContainer, captureLocationOf(config.eventHubs, config.eventHubName)),
  });
}
