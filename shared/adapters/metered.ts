import type { Tally } from '../domain/tallies';
import type {
  CreateOutcome,
  DedupRecord,
  DedupStore,
  MetricsStore,
  PipelineCounters,
  RequestMeter,
  TallyCursor,
  TallyStore,
} from '../ports';

/**
 * The local and in-memory stores answer in-process, with no request charge; these wrappers count
 * the requests their Cosmos DB counterparts would make for the same work (a create per record; a
 * 409 and a read of the stored copy per duplicate; a cursor read and a batch per tally; a patch per
 * metrics add), so `GET /api/health` shows what a batch would cost in Azure.
 */
export function meteredDedup(store: DedupStore, meter: RequestMeter): DedupStore {
  return {
    async createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]> {
      return countCreates(await store.createMany(records), meter);
    },
  };
}

export function countCreates(outcomes: CreateOutcome[], meter: RequestMeter): CreateOutcome[] {
  for (const outcome of outcomes) {
    if (outcome.status === 'created') meter.record('dedup_create', 0);
    else {
      meter.record('dedup_conflict', 0);
      meter.record('conflict_read', 0);
    }
  }
  return outcomes;
}

export function meteredTallies(store: TallyStore, meter: RequestMeter): TallyStore {
  return {
    cursor(partition: string): Promise<TallyCursor> {
      meter.record('tally_append', 0);
      return store.cursor(partition);
    },
    append(tally: Tally, expectedEtag: string | null): Promise<boolean> {
      meter.record('tally_append', 0);
      return store.append(tally, expectedEtag);
    },
  };
}

export function meteredMetrics(store: MetricsStore, meter: RequestMeter): MetricsStore {
  return {
    add(delta: Partial<PipelineCounters>): Promise<void> {
      meter.record('metrics', 0);
      return store.add(delta);
    },
    read: () => store.read(),
  };
}
