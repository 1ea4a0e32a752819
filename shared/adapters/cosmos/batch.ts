import type { Container, OperationInput } from '@azure/cosmos';
import { noMeter, type CosmosOperation, type RequestMeter } from '../../ports';
import { errorCharge, headerCharge } from './charges';

export class TransactionalBatchError extends Error {
  constructor(
    message: string,
    readonly statuses: readonly number[],
  ) {
    super(message);
    this.name = 'TransactionalBatchError';
  }
}

export type ConditionalBatchOutcome = { readonly committed: true; readonly eTag: string | undefined } | { readonly committed: false };

/**
 * Runs a transactional batch whose first operation carries the condition (a Replace with `ifMatch`,
 * or a Create). Committed: every operation applied, with the first one's new ETag. Not committed:
 * the condition failed (412, 409 on a create, 404 on a replace of a deleted item); the operations
 * after it report 424 and applied nothing. Any other failure is thrown, naming `what`. The batch's
 * request charge is recorded under `charge.operation`, committed or not.
 */
export async function runConditionalBatch(
  container: Container,
  operations: OperationInput[],
  partitionKey: string,
  what: string,
  charge: { readonly meter: RequestMeter; readonly operation: CosmosOperation } = { meter: noMeter, operation: 'counter_commit' },
): Promise<ConditionalBatchOutcome> {
  let response: Awaited<ReturnType<Container['items']['batch']>>;
  try {
    response = await container.items.batch(operations, partitionKey);
  } catch (error) {
    charge.meter.record(charge.operation, errorCharge(error));
    throw error;
  }
  const operationCharges = (response.result ?? []).reduce((sum, result) => sum + (result.requestCharge ?? 0), 0);
  charge.meter.record(charge.operation, headerCharge(response.headers) || operationCharges);
  const results = response.result ?? [];
  const statuses = results.map((result) => result.statusCode);
  if (results.length === operations.length && statuses.every((status) => status < 400)) return { committed: true, eTag: results[0]?.eTag };
  const conditionStatus = statuses[0];
  if (conditionStatus === 412 || conditionStatus === 409 || conditionStatus === 404) return { committed: false };
  throw new TransactionalBatchError(
    `${what}: transactional batch failed with statuses [${statuses.join(', ')}] (batch ${response.code ?? '?'})`,
    statuses,
  );
}
