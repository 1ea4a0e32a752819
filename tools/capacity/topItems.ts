/** The top-items container: counter commits, rows, the metrics document, API queries, and the expiry of hourly counters. */
import { COSMOS_MAX_RU_PER_PARTITION, KB, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import type { AggregateModel } from './aggregate';
import type { EventHubsModel } from './eventHubs';
import { autoscaleMaxWithTtl, documentedRu, fmt } from './helpers';
import type { CapacityInputs } from './inputs';
import { type Charge, chargeOf } from './operations';
import type { RowsModel } from './rows';
import type { ContainerThroughput } from './types';

export interface TopItemsModel {
  readonly httpInvocations: number;
  readonly metricsPatches: number;
  readonly metrics: Charge;
  readonly ruMetrics: number;
  readonly query: Charge;
  readonly queriesPerSecond: number;
  readonly ruQueries: number;
  readonly hourlyExpiries: number;
  readonly hourlyTtlDelete: Charge;
  readonly container: ContainerThroughput;
  readonly warnings: readonly string[];
}

export function modelTopItems(
  inputs: CapacityInputs,
  eventHubs: EventHubsModel,
  aggregate: AggregateModel,
  rows: RowsModel,
): TopItemsModel {
  const { ru } = inputs;
  const httpInvocations = inputs.eventsPerSecond / inputs.postBatchSize;
  // One patch of the metrics document per ingest invocation and per POST: one hot logical partition.
  const metricsPatches = eventHubs.ingestInvocations + httpInvocations;
  const metrics = chargeOf(
    inputs,
    'metrics',
    REPLACE_FACTOR * documentedRu('write', 0.5) + 2 * RU_PER_INDEX_TERM * 3 + ru.patchBaseRuPerOperation * 3,
    `patch of the 0.5 KB metrics document: about a replace ("no significant reduction in RU", patch FAQ) + 3 index terms + ${ru.patchBaseRuPerOperation} RU per patch operation`,
  );
  const ruMetrics = metricsPatches * metrics.ruPerRequest;
  const warnings =
    ruMetrics > COSMOS_MAX_RU_PER_PARTITION * 0.5
      ? [
          `the metrics document needs ${fmt(ruMetrics)} RU/s in one logical partition (limit ${COSMOS_MAX_RU_PER_PARTITION}): batch larger or shard the metrics.`,
        ]
      : [];
  const query = chargeOf(
    inputs,
    'query',
    aggregate.pointReadRu,
    'a counter read per location per all-locations query; invisible to the recorded charges',
  );
  const queriesPerSecond = inputs.queryRps * inputs.locations;
  const ruQueries = queriesPerSecond * query.ruPerRequest;
  // Each hour, each location's hourly counter and its rows reach HOURLY_RETENTION_DAYS and expire.
  const hourlyExpiries = (inputs.locations * (1 + (inputs.flatRows ? inputs.materializedTop : 0))) / 3600;
  const hourlyTtlDelete = chargeOf(
    inputs,
    'hourly_ttl_delete',
    (documentedRu('write', aggregate.counterBytes / KB) + inputs.materializedTop * documentedRu('write', rows.rowBytes / KB)) /
      (1 + inputs.materializedTop),
    'a delete of a counter or row, about its insert',
  );
  const ttlDeleteRu = hourlyExpiries * hourlyTtlDelete.ruPerRequest;
  const counted = ru.provisionTtlDeletes ? ttlDeleteRu : 0;
  const need = aggregate.ruCommits + rows.ruCounterReads + rows.ruRows + ruMetrics + ruQueries + counted;
  return {
    httpInvocations,
    metricsPatches,
    metrics,
    ruMetrics,
    query,
    queriesPerSecond,
    ruQueries,
    hourlyExpiries,
    hourlyTtlDelete,
    container: {
      name: 'topitems',
      ruPerSecond: need,
      ttlDeleteRuPerSecond: ttlDeleteRu,
      autoscaleMaxRu: autoscaleMaxWithTtl(need, ttlDeleteRu - counted, inputs.headroom),
    },
    warnings,
  };
}
