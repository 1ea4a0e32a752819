import { app, type InvocationContext } from '@azure/functions';
import { type IngestMessage, ingestBatch } from '../shared/pipeline/ingest';
import { getServices } from './services';

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
  return messages.map((body, index) => {
    const sequence = sequenceNumbers[index];
    const position = typeof sequence === 'number' || typeof sequence === 'string' ? String(sequence) : `i${index}`;
    return { body, source: `eventhub/${partition}/${position}` };
  });
}

/**
 * `dataType: 'binary'` makes the host hand each event over as raw bytes (a Buffer per event). Without
 * it the host binds the batch as JSON objects, and with 'string' the Node library JSON.parses every
 * string: either way a JS double would round ids above 2^53 before validation could see their digits.
 * The option is passed through to the binding although the library's types do not list it.
 */
const trigger = {
  connection: 'EventHubConnection',
  eventHubName: '%EVENTHUB_NAME%',
  consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
  cardinality: 'many',
  dataType: 'binary',
} as const;

app.eventHub('ingest', {
  ...trigger,
  retry: { strategy: 'exponentialBackoff', maxRetryCount: -1, minimumInterval: { seconds: 2 }, maximumInterval: { minutes: 5 } },
  handler: ingest,
});
