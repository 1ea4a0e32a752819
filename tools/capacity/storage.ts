/** What the containers and the Capture archive hold at steady state. */
import type { AggregateModel } from './aggregate';
import { GB, SECONDS_PER_DAY } from './constants';
import type { DedupModel } from './dedup';
import type { EventHubsModel } from './eventHubs';
import type { CapacityInputs } from './inputs';
import type { RowsModel } from './rows';
import type { TallyModel } from './tally';

export interface StorageModel {
  readonly hourlyCounters: number;
  readonly topItemsGb: number;
  readonly cosmosGb: number;
  readonly captureGbPerDay: number;
  readonly captureStoredGb: number;
}

export function modelStorage(
  inputs: CapacityInputs,
  eventHubs: EventHubsModel,
  dedup: DedupModel,
  tally: TallyModel,
  aggregate: AggregateModel,
  rows: RowsModel,
): StorageModel {
  // Hourly counters expire after HOURLY_RETENTION_DAYS (per-item TTL); all-time counters never do.
  const hourlyCounters = inputs.locations * 24 * inputs.hourlyRetentionDays;
  const perCounter = aggregate.counterBytes + (inputs.flatRows ? inputs.materializedTop * rows.rowBytes : 0);
  const topItemsGb = ((inputs.locations + hourlyCounters) * perCounter * 2) / GB;
  const captureGbPerDay = (eventHubs.messages * SECONDS_PER_DAY * (eventHubs.messageBytes + inputs.captureRecordOverheadBytes)) / GB;
  return {
    hourlyCounters,
    topItemsGb,
    cosmosGb: dedup.storageGb + tally.storageGb + topItemsGb,
    captureGbPerDay,
    captureStoredGb: captureGbPerDay * inputs.captureRetentionDays,
  };
}
