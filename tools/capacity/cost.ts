/** Function instances and the monthly bill. */
import { AUTOSCALE_FLOOR_SHARE, HOURS_PER_MONTH, SECONDS_PER_MONTH } from './constants';
import type { EventHubsModel } from './eventHubs';
import type { CapacityInputs } from './inputs';
import type { StorageModel } from './storage';
import type { ContainerThroughput } from './types';

export interface HostModel {
  readonly httpInstances: number;
  readonly tallyInstances: number;
  readonly aggregateInstances: number;
  readonly functionInstances: number;
  readonly invocations: number;
  readonly gbSeconds: number;
  readonly executions: number;
}

export function modelHost(
  inputs: CapacityInputs,
  eventHubs: EventHubsModel,
  stage: { stored: number; tallyLeases: number; aggregateLeases: number; tallyInvocations: number; aggregateInvocations: number },
): HostModel {
  const httpInstances = Math.max(1, Math.ceil(inputs.eventsPerSecond / inputs.httpEventsPerInstance));
  const tallyInstances = Math.min(stage.tallyLeases, Math.max(1, Math.ceil(stage.stored / inputs.tallyChangesPerInstance)));
  // A Cosmos DB trigger runs at most one instance per lease.
  const aggregateInstances = stage.aggregateLeases;
  const functionInstances = httpInstances + eventHubs.ingestInstances + tallyInstances + aggregateInstances;
  const invocations =
    inputs.eventsPerSecond / inputs.postBatchSize + eventHubs.ingestInvocations + stage.tallyInvocations + stage.aggregateInvocations;
  return {
    httpInstances,
    tallyInstances,
    aggregateInstances,
    functionInstances,
    invocations,
    gbSeconds: functionInstances * (inputs.instanceMemoryMb / 1024) * SECONDS_PER_MONTH,
    executions: invocations * SECONDS_PER_MONTH,
  };
}

export interface CostModel {
  readonly eventHubs: number;
  readonly capture: number;
  readonly billedRu: number;
  readonly cosmosThroughput: number;
  readonly cosmosManualAtMax: number;
  readonly cosmosStorage: number;
  readonly functions: number;
  readonly blob: number;
  readonly total: number;
}

export function modelCost(
  inputs: CapacityInputs,
  eventHubs: EventHubsModel,
  containers: readonly ContainerThroughput[],
  storage: StorageModel,
  host: HostModel,
): CostModel {
  const { prices } = inputs;
  const eventHubsCost =
    eventHubs.throughputUnits * HOURS_PER_MONTH * prices.eventHubsTuHour +
    ((eventHubs.billedEvents * SECONDS_PER_MONTH) / 1e6) * prices.eventHubsIngressPerMillion;
  const capture = eventHubs.throughputUnits * HOURS_PER_MONTH * prices.eventHubsCaptureTuHour;
  // Autoscale bills the highest RU/s of each hour, at least 10 % of the max; TTL deletes are not billed
  // and do not scale it (autoscale FAQ), so a steady load is billed at its need.
  const billedRu = containers.reduce((sum, c) => sum + Math.max(c.ruPerSecond, c.autoscaleMaxRu * AUTOSCALE_FLOOR_SHARE), 0);
  const cosmosThroughput = (billedRu / 100) * HOURS_PER_MONTH * prices.cosmosAutoscalePer100RuHour;
  const totalMax = containers.reduce((sum, c) => sum + c.autoscaleMaxRu, 0);
  const cosmosStorage = storage.cosmosGb * prices.cosmosStorageGbMonth;
  const functions =
    Math.max(0, host.gbSeconds - prices.flexFreeGbSeconds) * prices.flexGbSecond +
    (Math.max(0, host.executions - prices.flexFreeExecutions) / 1e6) * prices.flexPerMillionExecutions;
  const blob = storage.captureStoredGb * prices.blobHotGbMonth;
  return {
    eventHubs: eventHubsCost,
    capture,
    billedRu,
    cosmosThroughput,
    cosmosManualAtMax: (totalMax / 100) * HOURS_PER_MONTH * prices.cosmosManualPer100RuHour,
    cosmosStorage,
    functions,
    blob,
    total: eventHubsCost + capture + cosmosThroughput + cosmosStorage + functions + blob,
  };
}
