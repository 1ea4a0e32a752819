import { app, type InvocationContext } from '@azure/functions';
import { chargesLine, requestMeter } from '../shared/charges';
import { partitionLagLine, partitionLagOf } from '../shared/monitoring/partitionLag';
import { type IngestMessage, ingestBatch, ingestDepsOf } from '../shared/pipeline/ingest';
import { getServices } from './services';

/**
 * Event Hubs trigger, cardinality many. Bad events go to the dead-letter container and never fail the
 * batch; an infrastructure fault throws, and the retry policy redelivers the batch before the
 * checkpoint moves on (dedup makes the redelivery harmless). The partition's lag is logged before the
 * batch is processed, so that every retry of a failing batch reports it too (docs/operations.md).
 */
export async function ingest(messages: unknown[], context: InvocationContext): Promise<void> {
  const services = await getServices();
  const lag = partitionLagOf(context.triggerMetadata, messages.length, services.clock.now());
  if (lag) context.log(partitionLagLine(lag));
  const { result: summary, charges } = await requestMeter.measure(() =>
    ingestBatch(toIngestMessages(messages, context), ingestDepsOf(services)),
  );
  context.log(`ingest: ${JSON.stringify(summary)}`);
  context.log(chargesLine('ingest', summary.stored, charges));
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
