/** The leases container: both triggers checkpoint after every batch and renew each lease every 17 s. */
import { LEASE_RENEW_SECONDS, REPLACE_FACTOR, RU_PER_INDEX_TERM } from './constants';
import type { AggregateModel } from './aggregate';
import { autoscaleMax, documentedRu } from './helpers';
import type { CapacityInputs } from './inputs';
import { type Charge, chargeOf } from './operations';
import type { TallyModel } from './tally';
import type { ContainerThroughput } from './types';

export interface LeasesModel {
  readonly checkpoints: number;
  readonly renewals: number;
  readonly write: Charge;
  readonly container: ContainerThroughput;
}

export function modelLeases(inputs: CapacityInputs, tally: TallyModel, aggregate: AggregateModel): LeasesModel {
  const { ru } = inputs;
  const write = chargeOf(
    inputs,
    'lease_write',
    REPLACE_FACTOR * documentedRu('write', ru.leaseKb) + 2 * RU_PER_INDEX_TERM * ru.leaseChangedTerms,
    `replace of a ${ru.leaseKb} KB lease (checkpoint or renewal); invisible to the code`,
  );
  const checkpoints = tally.invocations + aggregate.invocations;
  const renewals = (tally.leases + aggregate.leases) / LEASE_RENEW_SECONDS;
  const need = (checkpoints + renewals) * write.ruPerRequest;
  return {
    checkpoints,
    renewals,
    write,
    container: { name: 'leases', ruPerSecond: need, ttlDeleteRuPerSecond: 0, autoscaleMaxRu: autoscaleMax(need, inputs.headroom) },
  };
}
