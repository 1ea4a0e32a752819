import type { Container, OperationInput } from '@azure/cosmos';

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
 * after it report 424 and applied nothing. Any other failure is thrown, naming `what`.
 */
export async function runConditionalBatch(
  container: Container,
  operations: OperationInput[],
  partitionKey: string,
  what: string,
): Promise<ConditionalBatchOutcome> {
  const response = await container.items.batch(operations, partitionKey);
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
