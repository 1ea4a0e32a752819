import { app, type InvocationContext } from '@azure/functions';
import { type IngestMessage, ingestBatch } from '../shared/pipeline/ingest';
import { getServices } from '../shared/services';

/**
 * Event Hubs trigger, cardinality many. Bad events go to the dead-letter container and never fail the
 * batch; an infrastructure fault throws, and the retry policy redelivers the batch before the
 * checkpoint moves on (dedup makes the redelivery harmless).
 */
export async function ingest(messages: unknown[], context: InvocationContext): Promise<void> {
  const services = await getServices();
  const summary = await ingestBatch(toIngestMessages(messages, context), {
    ...services,
    dedupPartitions: services.config.dedupPartitions,
  });
  context.log(`ingest: ${JSON.stringify(summary)}`);
}

/** Pairs each message with its partition and sequence number, which name its dead letters. */
export function toIngestMessages(messages: unknown[], context: InvocationContext): IngestMessage[] {
  const metadata = context.triggerMetadata ?? {};
  const partition = (metadata['partitionContext'] as { partitionId?: string } | undefined)?.partitionId ?? 'unknown';
  const sequenceNumbers = (metadata['sequenceNumberArray'] as unknown[] | undefined) ?? [];
  return messages.map((body, index) => ({ body, source: `eventhub/${partition}/${String(sequenceNumbers[index] ?? `i${index}`)}` }));
}

app.eventHub('ingest', {
  connection: 'EventHubConnection',
  eventHubName: '%EVENTHUB_NAME%',
  consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
  cardinality: 'many',
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  handler: ingest,
});
