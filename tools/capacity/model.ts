/**
 * The capacity and cost model of the Azure deployment: Event Hubs → ingest (dedup container) → change
 * feed → tally (tallies container) → change feed → aggregate (counters; rows on a cadence). Pure: no
 * I/O. Each stage is modelled in its own module; this one wires them and collects the results.
 */
import { type AggregateModel, modelAggregate } from './aggregate';
import { modelCost, modelHost } from './cost';
import { type DedupModel, modelDedup } from './dedup';
import { modelEventHubs } from './eventHubs';
import type { CapacityInputs } from './inputs';
import { modelLeases } from './leases';
import { modelLoad } from './load';
import type { Charge } from './operations';
import { modelRows, type RowsModel } from './rows';
import { buildSections, type Stages } from './sections';
import { modelStorage } from './storage';
import { modelTally, type TallyModel } from './tally';
import { modelTopItems, type TopItemsModel } from './topItems';
import type { BicepValues, CapacityResult, OperationRow } from './types';

export function computeCapacity(inputs: CapacityInputs): CapacityResult {
  const load = modelLoad(inputs);
  const eventHubs = modelEventHubs(inputs);
  const dedup = modelDedup(inputs, load);
  const tally = modelTally(inputs, load, dedup);
  const aggregate = modelAggregate(inputs, load, tally);
  const rows = modelRows(inputs, load, aggregate);
  const topItems = modelTopItems(inputs, eventHubs, aggregate, rows);
  const leases = modelLeases(inputs, tally, aggregate);
  const containers = [dedup.container, tally.container, topItems.container, leases.container];
  const storage = modelStorage(inputs, eventHubs, dedup, tally, aggregate, rows);
  const host = modelHost(inputs, eventHubs, {
    stored: load.stored,
    tallyLeases: tally.leases,
    aggregateLeases: aggregate.leases,
    tallyInvocations: tally.invocations,
    aggregateInvocations: aggregate.invocations,
  });
  const cost = modelCost(inputs, eventHubs, containers, storage, host);
  const stages: Stages = { inputs, load, eventHubs, dedup, tally, aggregate, rows, topItems, leases, storage, host, cost, containers };

  const ruPerSecond = containers.reduce((sum, c) => sum + c.ruPerSecond, 0);
  const operations = operationRows(stages);
  return {
    inputs,
    sections: buildSections(stages),
    containers,
    operations,
    bicep: bicepValues(stages),
    totals: {
      ruPerSecond,
      ttlDeleteRuPerSecond: containers.reduce((sum, c) => sum + c.ttlDeleteRuPerSecond, 0),
      ttlDeletesCounted: inputs.ru.provisionTtlDeletes,
      ruBesidesDedup: ruPerSecond - dedup.container.ruPerSecond,
      autoscaleMaxRu: containers.reduce((sum, c) => sum + c.autoscaleMaxRu, 0),
      ruPerEvent: ruPerSecond / load.eps,
      monthlyCost: cost.total,
      throughputUnits: eventHubs.throughputUnits,
      partitions: eventHubs.partitions,
      functionInstances: host.functionInstances,
      counterDelaySeconds: aggregate.delaySeconds,
    },
    warnings: [...eventHubs.warnings, ...dedup.warnings, ...tally.warnings, ...topItems.warnings],
  };
}

function bicepValues({ inputs, eventHubs, dedup, tally, topItems, leases }: Stages): BicepValues {
  return {
    partitionCount: eventHubs.partitions,
    throughputUnits: eventHubs.throughputUnits,
    autoInflateMaxThroughputUnits: eventHubs.autoInflateMax,
    dedupMaxThroughput: dedup.container.autoscaleMaxRu,
    talliesMaxThroughput: tally.container.autoscaleMaxRu,
    topItemsMaxThroughput: topItems.container.autoscaleMaxRu,
    leasesMaxThroughput: leases.container.autoscaleMaxRu,
    dedupTtlSeconds: Math.round(inputs.ttlHours * 3600),
    talliesTtlSeconds: Math.round(inputs.talliesTtlHours * 3600),
    rowsRefreshSeconds: inputs.rowsRefreshSeconds,
    hourlyRetentionDays: inputs.hourlyRetentionDays,
  };
}

/** Every Cosmos DB operation with its rate and charge: what the KQL query sets beside the measured charges. */
function operationRows(stages: Stages): OperationRow[] {
  const { load, dedup, tally, aggregate, rows, topItems, leases } = stages;
  const row = (charge: Charge, container: string, visibleToCode: boolean, requestsPerSecond: number): OperationRow => ({
    operation: charge.operation,
    container,
    visibleToCode,
    requestsPerSecond,
    ruPerRequest: charge.ruPerRequest,
    ruPerSecond: requestsPerSecond * charge.ruPerRequest,
    ruPerStoredDetection: load.stored > 0 ? (requestsPerSecond * charge.ruPerRequest) / load.stored : 0,
    measured: charge.measured,
    basis: charge.basis,
  });
  return [
    ...dedupRows(row, load.stored, load.duplicates, dedup),
    ...tallyRows(row, tally),
    row(rows.counterRead, 'topitems', true, rows.counterReadsPerSecond),
    row(aggregate.commit, 'topitems', true, aggregate.commitRequestsPerSecond),
    row(rows.write, 'topitems', true, rows.batchesPerSecond),
    row(topItems.metrics, 'topitems', true, topItems.metricsPatches),
    row(topItems.query, 'topitems', false, topItems.queriesPerSecond),
    row(topItems.hourlyTtlDelete, 'topitems', false, topItems.hourlyExpiries),
    row(leases.write, 'leases', false, leases.checkpoints + leases.renewals),
  ];
}

type RowOf = (charge: Charge, container: string, visibleToCode: boolean, requestsPerSecond: number) => OperationRow;

function dedupRows(row: RowOf, stored: number, duplicates: number, dedup: DedupModel): OperationRow[] {
  return [
    row(dedup.create, 'dedup', true, stored),
    row(dedup.conflict, 'dedup', true, duplicates),
    row(dedup.conflictRead, 'dedup', true, dedup.conflictRead.modelRuPerRequest > 0 ? duplicates : 0),
    row(dedup.feedRead, 'dedup', false, stored),
    row(dedup.ttlDelete, 'dedup', false, stored),
  ];
}

function tallyRows(row: RowOf, tally: TallyModel): OperationRow[] {
  return [
    row(tally.append, 'tallies', true, tally.appendRequestsPerSecond),
    row(tally.feedRead, 'tallies', false, tally.talliesPerSecond),
    row(tally.ttlDelete, 'tallies', false, tally.talliesPerSecond),
  ];
}

export type { AggregateModel, RowsModel, TopItemsModel };
