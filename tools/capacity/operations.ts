/**
 * Cosmos DB operations by the names the code records them under (`cosmos-charges` log lines, see
 * infra/monitoring/ru-by-operation.kql), and the ones the code cannot see, which stay model estimates.
 */
import type { CapacityInputs } from './inputs';
import { fmt } from './helpers';

/** Operations whose response charge the code records, by the names of the `cosmos-charges` line. */
export const CODE_OPERATIONS = [
  'dedup_create',
  'dedup_conflict',
  'conflict_read',
  'tally_append',
  'counter_read',
  'counter_commit',
  'rows_write',
  'metrics',
] as const;

/** Requests no code path sees: the triggers' change-feed reads and lease writes, TTL deletes, queries of the API. */
export const MODEL_ONLY_OPERATIONS = [
  'dedup_change_feed',
  'tallies_change_feed',
  'lease_write',
  'query',
  'dedup_ttl_delete',
  'tallies_ttl_delete',
  'hourly_ttl_delete',
] as const;

export type CodeOperation = (typeof CODE_OPERATIONS)[number];
export type ModelOnlyOperation = (typeof MODEL_ONLY_OPERATIONS)[number];
export type Operation = CodeOperation | ModelOnlyOperation;

export interface MeasuredCharge {
  readonly requests: number;
  readonly ruPerRequest: number;
}

/** Per-operation charges measured in a deployment, by code operation name. */
export type MeasuredCharges = Partial<Record<CodeOperation, MeasuredCharge>>;

export interface Charge {
  readonly operation: Operation;
  readonly ruPerRequest: number;
  readonly modelRuPerRequest: number;
  readonly measured: boolean;
  readonly basis: string;
}

export function isCodeOperation(name: string): name is CodeOperation {
  return (CODE_OPERATIONS as readonly string[]).includes(name);
}

/** The model's RU for one request of `operation`, unless the deployment measured it (`--measured`). */
export function chargeOf(inputs: CapacityInputs, operation: Operation, modelRu: number, basis: string): Charge {
  const measured = isCodeOperation(operation) ? inputs.measured?.[operation] : undefined;
  if (!measured) return { operation, ruPerRequest: modelRu, modelRuPerRequest: modelRu, measured: false, basis };
  return {
    operation,
    ruPerRequest: measured.ruPerRequest,
    modelRuPerRequest: modelRu,
    measured: true,
    basis: `measured: ${fmt(measured.requests)} requests, ${fmt(measured.ruPerRequest, 2)} RU each (model: ${fmt(modelRu, 2)} RU, ${basis})`,
  };
}
