import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { isoInstant } from '../../shared/domain/windows';
import type { LogRecord } from '../eventlog/record';
import { invocationLogHandler, type Logger } from '../log';
import type { LogBatch } from './logConsumer';

export type IngestHandler = (messages: unknown[], context: InvocationContext) => Promise<void>;

export const LOCAL_EVENT_HUB = { eventHubName: 'detections', consumerGroup: '$Default', fullyQualifiedNamespace: 'local' } as const;

/**
 * The trigger metadata the Event Hubs extension hands a `cardinality: many` function, built from
 * the local log's records, so the handler names its dead letters by partition and sequence as in Azure.
 */
export function eventHubTriggerMetadata(partition: number, records: readonly LogRecord[]): Record<string, unknown> {
  return {
    partitionContext: { ...LOCAL_EVENT_HUB, partitionId: String(partition) },
    sequenceNumberArray: records.map((record) => record.sequenceNumber),
    offsetArray: records.map((record) => String(record.offset)),
    enqueuedTimeUtcArray: records.map((record) => isoInstant(record.enqueuedTimeMs)),
    partitionKeyArray: records.map((record) => record.key),
    propertiesArray: records.map(() => ({})),
  };
}

/** Hands one batch of log records to the real `ingest` handler, as the Event Hubs trigger would. */
export function ingestBatchHandler(ingest: IngestHandler, logger: Logger): (batch: LogBatch) => Promise<void> {
  const logHandler = invocationLogHandler(logger);
  return async (batch) => {
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: 'ingest',
      triggerMetadata: eventHubTriggerMetadata(batch.partition, batch.records),
      logHandler,
    });
    await ingest(
      batch.records.map((record) => record.body),
      context,
    );
  };
}
