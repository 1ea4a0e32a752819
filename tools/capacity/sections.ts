/** The report's sections: every figure with the rule or assumption behind it. */
import type { AggregateModel } from './aggregate';
import {
  COSMOS_MAX_LOGICAL_PARTITION_GB,
  COSMOS_MAX_RU_PER_PARTITION,
  COSMOS_PHYSICAL_PARTITION_GB,
  HOURS_PER_MONTH,
  LEASE_RENEW_SECONDS,
  REFERENCE,
  TARGETS,
} from './constants';
import type { CostModel, HostModel } from './cost';
import type { DedupModel } from './dedup';
import type { EventHubsModel } from './eventHubs';
import { fmt } from './helpers';
import type { CapacityInputs, Prices } from './inputs';
import type { LeasesModel } from './leases';
import type { Load } from './load';
import type { Charge } from './operations';
import { rowsBasis, type RowsModel } from './rows';
import type { StorageModel } from './storage';
import type { TallyModel } from './tally';
import type { TopItemsModel } from './topItems';
import type { ContainerThroughput, Figure, Section } from './types';

export interface Stages {
  readonly inputs: CapacityInputs;
  readonly load: Load;
  readonly eventHubs: EventHubsModel;
  readonly dedup: DedupModel;
  readonly tally: TallyModel;
  readonly aggregate: AggregateModel;
  readonly rows: RowsModel;
  readonly topItems: TopItemsModel;
  readonly leases: LeasesModel;
  readonly storage: StorageModel;
  readonly host: HostModel;
  readonly cost: CostModel;
  readonly containers: readonly ContainerThroughput[];
}

export function buildSections(stages: Stages): Section[] {
  return [
    stages.load.section,
    stages.eventHubs.section,
    functionsSection(stages),
    operationsSection(stages),
    tallySection(stages),
    aggregateSection(stages),
    throughputSection(stages),
    storageSection(stages),
    costSection(stages),
    targetsSection(stages),
  ];
}

const chargeFigure = (name: string, charge: Charge, unit = 'RU'): Figure => ({
  name,
  value: charge.ruPerRequest,
  unit,
  basis: charge.basis,
});

function functionsSection({ inputs, eventHubs, tally, host }: Stages): Section {
  return {
    title: 'Functions (Flex Consumption)',
    figures: [
      {
        name: 'events (HTTP) instances',
        value: host.httpInstances,
        unit: 'instances',
        basis: `${fmt(inputs.httpEventsPerInstance)} events/s per ${inputs.instanceMemoryMb} MB instance (assumption)`,
      },
      {
        name: 'ingest instances',
        value: eventHubs.ingestInstances,
        unit: 'instances',
        basis: `${fmt(inputs.ingestEventsPerInstance)} detections/s per instance (assumption: one Cosmos create per detection, 32 in flight)`,
      },
      {
        name: 'tally instances',
        value: host.tallyInstances,
        unit: 'instances',
        basis: `${fmt(inputs.tallyChangesPerInstance)} changes/s per instance (assumption), at most one per dedup lease (${tally.leases})`,
      },
      {
        name: 'aggregate instances',
        value: host.aggregateInstances,
        unit: 'instances',
        basis: `one per lease of the tallies feed (${tally.aggregateLeases})`,
      },
      {
        name: 'invocations',
        value: host.invocations,
        unit: 'invocations/s',
        basis: `POSTs of ${inputs.postBatchSize} detections, ingest batches, tally batches, aggregate batches`,
      },
      {
        name: 'execution time',
        value: host.gbSeconds,
        unit: 'GB-s/month',
        basis: `instances × ${fmt(inputs.instanceMemoryMb / 1024, 1)} GB × ${HOURS_PER_MONTH} h, busy all the time at a steady load`,
      },
    ],
  };
}

function operationsSection({ dedup, tally, aggregate, rows, topItems, leases }: Stages): Section {
  return {
    title: 'Cosmos DB request units per operation (name as recorded in cosmos-charges; "invisible": model estimate only)',
    figures: [
      { name: 'dedup record', value: dedup.bytes, unit: 'bytes', basis: '19-digit ids, with system properties' },
      chargeFigure('dedup create', dedup.create),
      chargeFigure('dedup conflict (409)', dedup.conflict),
      chargeFigure('conflict read', dedup.conflictRead),
      {
        name: 'duplicate',
        value: dedup.conflict.ruPerRequest + dedup.conflictRead.ruPerRequest,
        unit: 'RU',
        basis: 'the refused create and the read of the stored copy; never an upsert',
      },
      chargeFigure('change-feed read', dedup.feedRead, 'RU per change'),
      chargeFigure('TTL delete', dedup.ttlDelete),
      {
        name: 'tally document',
        value: tally.bytes,
        unit: 'bytes',
        basis: `${fmt(tally.changesPerTally)} changes summed into ${fmt(tally.entries)} (location, hour, item) entries over ${fmt(tally.locationsPerTally)} locations (expected distinct), with system properties`,
      },
      chargeFigure('tally append', tally.append),
      chargeFigure('tally feed read', tally.feedRead, 'RU per tally'),
      {
        name: 'counter document',
        value: aggregate.counterBytes,
        unit: 'bytes',
        basis: 'item counts and one watermark per dedup partition (DEDUP_PARTITIONS)',
      },
      chargeFigure('counter commit', aggregate.commit),
      chargeFigure('counter read', rows.counterRead),
      { name: 'row document', value: rows.rowBytes, unit: 'bytes', basis: 'one flat top-item row for Power BI' },
      {
        name: 'row upsert',
        value: rows.rowUpsertRu,
        unit: 'RU',
        basis: `upsert of an existing ${rows.rowBytes} B row: 2 × documented write of a ≤ 1 KB item + index terms`,
      },
      chargeFigure('rows write', rows.write, 'RU per counter'),
      chargeFigure('metrics patch', topItems.metrics),
      chargeFigure('lease checkpoint', leases.write),
    ],
  };
}

function tallySection({ inputs, dedup, tally }: Stages): Section {
  return {
    title: 'Stage one: tally (dedup change feed → one tally per dedup partition per batch)',
    figures: [
      {
        name: 'dedup leases',
        value: tally.leases,
        unit: 'leases',
        basis: `one per physical partition of the dedup container (${dedup.physicalPartitions}: autoscale max / 10,000 RU/s, or storage / 50 GB)`,
      },
      {
        name: 'partitions per lease',
        value: tally.partitionsPerLease,
        unit: 'dedup partitions',
        basis: `${inputs.dedupPartitions} DEDUP_PARTITIONS spread evenly over ${tally.leases} leases`,
      },
      {
        name: 'tally batch',
        value: tally.batch,
        unit: 'changes',
        basis: `min(maxItemsPerInvocation ${inputs.feedBatchSize}, ${fmt(tally.perLeaseRate)} changes/s per lease × the ${inputs.feedCycleSeconds} s tally cycle: the pace the code holds, a smaller batch returns no earlier than a cycle after it started)`,
      },
      {
        name: 'tally batches',
        value: tally.invocations,
        unit: 'batches/s',
        basis: `${fmt(tally.invocations / tally.leases, 2)} per lease per second`,
      },
      {
        name: 'partitions per tally batch',
        value: tally.partitionsPerBatch,
        unit: 'tallies/batch',
        basis: `expected dedup partitions present in a batch of ${fmt(tally.batch)}`,
      },
      {
        name: 'tallies',
        value: tally.talliesPerSecond,
        unit: 'tallies/s',
        basis: 'dedup leases × batches per lease per second × partitions present per batch',
      },
    ],
  };
}

function aggregateSection({ inputs, aggregate, rows }: Stages): Section {
  const oneWriter = aggregate.leases === 1;
  return {
    title: 'Stage two: aggregate (tallies change feed → counters, one writer; rows on a cadence)',
    figures: [
      {
        name: 'tallies leases',
        value: aggregate.leases,
        unit: 'leases',
        basis: 'one per physical partition of the tallies container; one lease = one writer per counter',
      },
      {
        name: 'aggregate batch',
        value: aggregate.batch,
        unit: 'tallies',
        basis: `min(maxItemsPerInvocation ${inputs.feedBatchSize}, ${fmt(aggregate.talliesPerLease)} tallies/s per lease × the ${inputs.aggregateCycleSeconds} s aggregate cycle: the pace the code holds, a smaller batch returns no earlier than a cycle after it started)`,
      },
      {
        name: 'aggregate batches',
        value: aggregate.invocations,
        unit: 'batches/s',
        basis: `${fmt(aggregate.changesPerBatch)} detections per batch`,
      },
      {
        name: 'commits per batch',
        value: aggregate.commitsPerBatch,
        unit: 'commits',
        basis: `expected distinct (location, window) counters: all-time, the current hour, and late hours (Zipf ${inputs.skew} over ${inputs.locations} locations, ${inputs.lateRate} late over ${inputs.lateHours} h)`,
      },
      {
        name: 'counter commits',
        value: aggregate.commitsPerSecond,
        unit: 'commits/s',
        basis: `each counter a batch changes, once per batch; the counters stay exact on every batch. ${fmt(aggregate.piggybackedPerSecond, 1)}/s ride with their rows (rows_write): the batch at each cadence; ${fmt(aggregate.commitRequestsPerSecond, 1)}/s are counter_commit`,
      },
      {
        name: 'unchanged counters skipped',
        value: aggregate.skippedPerSecond,
        unit: 'commits/s',
        basis: `redelivered batches (${inputs.ru.redeliveredShare} of batches, assumption) change no counter and commit nothing`,
      },
      {
        name: 'counter reads',
        value: aggregate.readsPerSecond,
        unit: 'reads/s',
        basis: `cache misses only: new hour counters, ${inputs.ru.workerRestartsPerHour} worker restart(s) per hour (assumption) and lost races; a read before every commit would cost ${fmt(aggregate.ruSavedByCache)} RU/s`,
      },
      {
        name: 'etag retries',
        value: aggregate.retryShare,
        unit: 'share of commits',
        basis: oneWriter
          ? 'one writer per counter: no race to lose'
          : `${aggregate.leases} writers fold the same counters; a race is lost when another commits within ${inputs.ru.commitWindowSeconds} s of a ${inputs.aggregateCycleSeconds} s cycle`,
      },
      {
        name: 'aggregation per stored detection',
        value: aggregate.ruPerStoredDetection,
        unit: 'RU',
        basis: 'counter_commit RU/s / stored detections (commits riding with rows, rows, counter reads and tallies apart)',
      },
      { name: 'row writes', value: rows.rowWritesPerSecond, unit: 'rows/s', basis: rowsBasis(inputs, rows) },
      {
        name: 'delay to the counters',
        value: aggregate.delaySeconds,
        unit: 's',
        basis: `two change-feed hops, up to one cycle each: tally ${inputs.feedCycleSeconds} s + aggregate ${inputs.aggregateCycleSeconds} s (the pace the code holds); processing time not included`,
      },
      {
        name: 'delay to the rows',
        value: rows.delaySeconds,
        unit: 's',
        basis: `the counters' delay + the ${fmt(rows.cadenceSeconds, 1)} s rows cadence (ROWS_REFRESH_SECONDS ${inputs.rowsRefreshSeconds}); the API and OData read the counters`,
      },
    ],
  };
}

function storageSection({ inputs, dedup, tally, storage, eventHubs }: Stages): Section {
  return {
    title: 'Storage',
    figures: [
      {
        name: 'dedup records at the TTL',
        value: dedup.items,
        unit: 'items',
        basis: `stored/s × ${inputs.ttlHours} h (the TTL runs from first storage)`,
      },
      {
        name: 'dedup storage',
        value: dedup.storageGb,
        unit: 'GB',
        basis: `${dedup.bytes} B per record + ${inputs.ru.dedupIndexOverhead * 100} % index`,
      },
      {
        name: 'per dedup logical partition',
        value: dedup.perLogicalGb,
        unit: 'GB',
        basis: `${inputs.dedupPartitions} partitions; limit ${COSMOS_MAX_LOGICAL_PARTITION_GB} GB, reached at ${fmt(dedup.maxStoredByLogicalSize)} stored/s`,
      },
      {
        name: 'tallies storage',
        value: tally.storageGb,
        unit: 'GB',
        basis: `${fmt(tally.talliesPerSecond, 1)} tallies/s × ${fmt(tally.bytes)} B × ${inputs.talliesTtlHours} h TTL + index; one physical partition holds ${COSMOS_PHYSICAL_PARTITION_GB} GB`,
      },
      {
        name: 'topitems storage',
        value: storage.topItemsGb,
        unit: 'GB',
        basis: `counters and rows ×2 for index: ${fmt(storage.hourlyCounters)} hourly counters kept ${inputs.hourlyRetentionDays} days (HOURLY_RETENTION_DAYS, per-item TTL), all-time counters forever`,
      },
      {
        name: 'capture per day',
        value: storage.captureGbPerDay,
        unit: 'GB/day',
        basis: `${fmt(eventHubs.messageBytes)} B body + ${inputs.captureRecordOverheadBytes} B Avro record overhead per Event Hubs event, uncompressed`,
      },
      {
        name: 'capture kept',
        value: storage.captureStoredGb,
        unit: 'GB',
        basis: `${inputs.captureRetentionDays} days (lifecycle rule on the capture container)`,
      },
    ],
  };
}

function costSection({ inputs, eventHubs, cost, storage, host }: Stages): Section {
  const { prices } = inputs;
  const price = (name: keyof Prices) => `${String(prices[name])} ${prices.currency}`;
  const usd = (name: string, value: number, basis: string): Figure => ({ name, value, unit: prices.currency, basis });
  return {
    title: `Monthly cost (${prices.region}, ${prices.currency}; ${prices.asOf})`,
    figures: [
      usd(
        'Event Hubs',
        cost.eventHubs,
        `${eventHubs.throughputUnits} TU × ${price('eventHubsTuHour')}/h + ${fmt(eventHubs.billedEvents)} billed events/s × ${price('eventHubsIngressPerMillion')} per million`,
      ),
      usd('Event Hubs Capture', cost.capture, `${eventHubs.throughputUnits} TU × ${price('eventHubsCaptureTuHour')}/h`),
      usd(
        'Cosmos DB throughput (autoscale)',
        cost.cosmosThroughput,
        `billed at the steady need ${fmt(cost.billedRu)} RU/s × ${price('cosmosAutoscalePer100RuHour')} per 100 RU/s-hour; TTL deletes are not billed on autoscale (autoscale FAQ); manual at the autoscale max would be ${fmt(cost.cosmosManualAtMax)}`,
      ),
      usd('Cosmos DB storage', cost.cosmosStorage, `${fmt(storage.cosmosGb, 1)} GB × ${price('cosmosStorageGbMonth')}/GB-month`),
      usd(
        'Functions',
        cost.functions,
        `${fmt(host.gbSeconds)} GB-s × ${price('flexGbSecond')} + ${fmt(host.executions / 1e6, 1)} M executions × ${price('flexPerMillionExecutions')}/M, after free grants`,
      ),
      usd('Capture storage (Blob, hot LRS)', cost.blob, `${fmt(storage.captureStoredGb)} GB × ${price('blobHotGbMonth')}/GB-month`),
      usd('total', cost.total, 'excludes Application Insights, bandwidth, Dataset B and dead-letter storage'),
    ],
  };
}

function throughputSection(stages: Stages): Section {
  const { inputs, load, dedup, tally, aggregate, rows, topItems, leases, containers } = stages;
  const counted = inputs.ru.provisionTtlDeletes;
  const ttl = (ru: number) =>
    counted
      ? `${fmt(ru)} RU/s counted (--count-ttl-deletes)`
      : `${fmt(ru)} RU/s at steady state, run in left-over RU/s: not in the need, room kept in the autoscale max`;
  const total = containers.reduce((sum, c) => sum + c.ruPerSecond, 0);
  const max = containers.reduce((sum, c) => sum + c.autoscaleMaxRu, 0);
  const ttlTotal = containers.reduce((sum, c) => sum + c.ttlDeleteRuPerSecond, 0);
  const reference = (REFERENCE.provisionedRu * load.eps) / REFERENCE.eventsPerSecond;
  const container = (c: ContainerThroughput, basis: string): Figure => ({
    name: `${c.name} container`,
    value: c.ruPerSecond,
    unit: 'RU/s',
    basis: `autoscale max ${fmt(c.autoscaleMaxRu)} RU/s: ${basis}`,
  });
  const maxRule = `the larger of need × ${inputs.headroom} headroom and need + TTL deletes, rounded up to 1,000`;
  return {
    title: 'Cosmos DB throughput per container (RU/s needed)',
    figures: [
      {
        name: 'dedup: creates',
        value: dedup.ruCreates,
        unit: 'RU/s',
        basis: `${fmt(load.stored)} creates/s × ${fmt(dedup.create.ruPerRequest, 2)} RU`,
      },
      {
        name: 'dedup: duplicates',
        value: dedup.ruDuplicates,
        unit: 'RU/s',
        basis: `${fmt(load.duplicates)} duplicates/s × ${fmt(dedup.conflict.ruPerRequest + dedup.conflictRead.ruPerRequest, 2)} RU`,
      },
      {
        name: 'dedup: change feed',
        value: dedup.ruFeed,
        unit: 'RU/s',
        basis: `${fmt(load.stored)} changes/s × ${fmt(dedup.feedRead.ruPerRequest, 2)} RU, read by the tally trigger`,
      },
      { name: 'dedup: TTL deletes', value: dedup.ttlDeleteRu, unit: 'RU/s', basis: ttl(dedup.ttlDeleteRu) },
      container(dedup.container, maxRule),
      {
        name: 'tallies: appends',
        value: tally.ruAppends,
        unit: 'RU/s',
        basis: `${fmt(tally.talliesPerSecond, 1)} tallies/s, one batch each, and the cursor reads after restarts: ${fmt(tally.appendRequestsPerSecond, 1)} requests/s × ${fmt(tally.append.ruPerRequest, 2)} RU`,
      },
      {
        name: 'tallies: change feed',
        value: tally.ruFeed,
        unit: 'RU/s',
        basis: `${fmt(tally.talliesPerSecond, 1)} tallies/s × ${fmt(tally.feedRead.ruPerRequest, 2)} RU, read by the aggregate trigger`,
      },
      { name: 'tallies: TTL deletes', value: tally.ttlDeleteRu, unit: 'RU/s', basis: ttl(tally.ttlDeleteRu) },
      container(
        tally.container,
        `${maxRule}; must stay ≤ ${fmt(COSMOS_MAX_RU_PER_PARTITION)} RU/s and < ${COSMOS_PHYSICAL_PARTITION_GB} GB: one physical partition, one aggregate lease`,
      ),
      {
        name: 'topitems: counter commits',
        value: aggregate.ruCommits,
        unit: 'RU/s',
        basis: `(${fmt(aggregate.commitsPerSecond, 1)} commits/s − ${fmt(aggregate.piggybackedPerSecond, 1)}/s riding with rows) × ${fmt(aggregate.commit.ruPerRequest, 2)} RU × ${fmt(1 + aggregate.retryShare, 2)}, no read before a commit (warm cache)`,
      },
      {
        name: 'topitems: counter reads',
        value: rows.ruCounterReads,
        unit: 'RU/s',
        basis: `${fmt(aggregate.readsPerSecond, 2)} cache misses/s and at most ${fmt(rows.dueQueriesPerSecond, 1)} timer queries/s of ≤ ${fmt(rows.timerQueryCounters)} settled due counters (aggregate takes its due counters from its cache), ${fmt(rows.ruCounterReads)} RU/s`,
      },
      {
        name: 'topitems: rows',
        value: rows.ruRows,
        unit: 'RU/s',
        basis: `${fmt(rows.batchesPerSecond, 1)} counters/s (${fmt(rows.piggybacked)} a cadence committed with their rows, ${fmt(rows.separate)} apart) × ${fmt(rows.write.ruPerRequest, 2)} RU (their replace and ${fmt(rows.rowWritesPerSecond, 1)} row upserts/s)`,
      },
      {
        name: 'topitems: metrics patches',
        value: topItems.ruMetrics,
        unit: 'RU/s',
        basis: `${fmt(topItems.metricsPatches, 1)} patches/s (one per ingest invocation and per POST) × ${fmt(topItems.metrics.ruPerRequest, 1)} RU`,
      },
      {
        name: 'topitems: queries',
        value: topItems.ruQueries,
        unit: 'RU/s',
        basis: `${inputs.queryRps} all-locations queries/s reading ${inputs.locations} counters`,
      },
      {
        name: 'topitems: TTL deletes',
        value: topItems.container.ttlDeleteRuPerSecond,
        unit: 'RU/s',
        basis: ttl(topItems.container.ttlDeleteRuPerSecond) + `; hourly counters and rows after ${inputs.hourlyRetentionDays} days`,
      },
      container(topItems.container, maxRule),
      container(
        leases.container,
        `${fmt(leases.checkpoints, 1)} checkpoints/s + renewals of ${tally.leases + aggregate.leases} leases every ${LEASE_RENEW_SECONDS} s, × ${fmt(leases.write.ruPerRequest, 1)} RU`,
      ),
      {
        name: 'all containers',
        value: total,
        unit: 'RU/s',
        basis: `${fmt(total / load.eps, 2)} RU per received event; autoscale max in total ${fmt(max)} RU/s; TTL deletes ${counted ? 'counted' : 'apart'}: ${fmt(ttlTotal)} RU/s`,
      },
      { name: 'all containers but dedup', value: total - dedup.container.ruPerSecond, unit: 'RU/s', basis: 'tallies, topitems and leases' },
      {
        name: 'reference deployment',
        value: reference,
        unit: 'RU/s',
        basis: `streaming-at-scale provisions ${fmt(REFERENCE.provisionedRu)} RU/s for ${fmt(REFERENCE.eventsPerSecond)} events/s (upsert of ~1 KB, ~${REFERENCE.ruPerWrite} RU each; no dedup, no aggregation, no expiry); our need is ${fmt((100 * total) / reference)} % of it, our autoscale max ${fmt((100 * max) / reference)} %`,
      },
    ],
  };
}

function targetsSection({ inputs, containers, dedup, eventHubs, cost, aggregate }: Stages): Section {
  const total = containers.reduce((sum, c) => sum + c.ruPerSecond, 0);
  const max = containers.reduce((sum, c) => sum + c.autoscaleMaxRu, 0);
  const check = (name: string, value: number, unit: string, target: number, extra = ''): Figure => ({
    name,
    value,
    unit,
    basis: `target ≤ ${fmt(target)}: ${value <= target ? 'met' : 'NOT MET'}${extra}`,
  });
  return {
    title: 'Targets at 10,000 events/s (the model against the cost targets)',
    figures: [
      check(`RU/s needed (TTL deletes ${inputs.ru.provisionTtlDeletes ? 'counted' : 'apart'})`, total, 'RU/s', TARGETS.ruPerSecond),
      check('all containers but dedup', total - dedup.container.ruPerSecond, 'RU/s', TARGETS.ruBesidesDedup),
      check('autoscale max, all containers', max, 'RU/s', TARGETS.autoscaleMaxTotal, ', with room for the TTL deletes'),
      check(
        'Event Hubs',
        eventHubs.throughputUnits,
        'TU',
        TARGETS.throughputUnits,
        ' (assumes a POST carries a location\'s cameras, see "Event Hubs events")',
      ),
      check('monthly estimate', cost.total, 'USD', TARGETS.monthlyCost),
      check('counters visible after storing', aggregate.delaySeconds, 's', TARGETS.counterDelaySeconds),
    ],
  };
}
