import type { Container, PatchOperation } from '@azure/cosmos';
import { COUNTER_NAMES, type MetricsStore, noMeter, type PipelineCounters, type RequestMeter } from '../../ports';
import { errorCharge } from './charges';
import { statusOf } from './client';

export const METRICS_ID = 'metrics';
/** The metrics document lives in its own logical partition of the top-items container. */
export const METRICS_PARTITION = '_meta';

function zeroCounters(): PipelineCounters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as PipelineCounters;
}

type MetricsDocument = { id: string; type: 'metrics'; locationOid: string } & PipelineCounters;

/**
 * Pipeline counters in one document, updated with patch `incr` operations: atomic on the server, so
 * concurrent ingest instances never lose an increment and need no etag loop. One patch per batch
 * (not per event) keeps this single hot document far below a partition's write limit.
 */
export class CosmosMetricsStore implements MetricsStore {
  constructor(
    private readonly container: Container,
    private readonly meter: RequestMeter = noMeter,
  ) {}

  async add(delta: Partial<PipelineCounters>): Promise<void> {
    const operations: PatchOperation[] = COUNTER_NAMES.filter((name) => (delta[name] ?? 0) !== 0).map((name) => ({
      op: 'incr',
      path: `/${name}`,
      value: delta[name] ?? 0,
    }));
    if (operations.length === 0) return;
    const item = this.container.item(METRICS_ID, METRICS_PARTITION);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        this.meter.record('metrics', (await item.patch(operations)).requestCharge);
        return;
      } catch (error) {
        this.meter.record('metrics', errorCharge(error));
        if (statusOf(error) !== 404) throw error;
      }
      // First write ever: create the document with this delta; if another instance won that race, patch again.
      const document: MetricsDocument = { id: METRICS_ID, type: 'metrics', locationOid: METRICS_PARTITION, ...zeroCounters() };
      for (const name of COUNTER_NAMES) document[name] = delta[name] ?? 0;
      try {
        this.meter.record('metrics', (await this.container.items.create(document)).requestCharge);
        return;
      } catch (error) {
        this.meter.record('metrics', errorCharge(error));
        if (statusOf(error) !== 409) throw error;
      }
    }
    throw new Error('metrics: the metrics document kept disappearing');
  }

  async read(): Promise<PipelineCounters> {
    const { resource } = await this.container.item(METRICS_ID, METRICS_PARTITION).read<MetricsDocument>();
    const counters = zeroCounters();
    if (resource) for (const name of COUNTER_NAMES) counters[name] = typeof resource[name] === 'number' ? resource[name] : 0;
    return counters;
  }
}
