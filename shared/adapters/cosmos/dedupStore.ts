import type { Container } from '@azure/cosmos';
import { type CreateOutcome, type DedupRecord, type DedupStore, noMeter, type RequestMeter } from '../../ports';
import { errorCharge } from './charges';
import { statusOf } from './client';

/** A dedup record as stored: the record itself, plus a per-item TTL when one is configured. */
export interface DedupDocument extends DedupRecord {
  ttl?: number;
}

export interface CosmosDedupOptions {
  /** Creates in flight at once per batch. The SDK retries throttled (429) requests on its own. */
  readonly concurrency?: number;
  /**
   * Per-item TTL in seconds. The container's default TTL already expires records; setting this makes
   * the app's DEDUP_TTL_SECONDS the horizon even if the container default differs (it needs TTL
   * enabled on the container, which the infrastructure does).
   */
  readonly itemTtlSeconds?: number;
  /** Records each create, refused create and conflict read with its request charge. */
  readonly meter?: RequestMeter;
}

const DEFAULT_CONCURRENCY = 32;

/**
 * The dedup container (partition key /pk, id = detection oid). Every record is *created*: a 409
 * means the id already lives in its partition, so the copy is a duplicate. Never upsert: an
 * upserted duplicate would reappear on the change feed and be counted again, and bill as a write.
 *
 * Bad data never reaches here; a fault that survives the SDK's own retries (a 429 past its retry
 * budget, a 5xx, a timeout) is thrown so the trigger's retry policy redelivers the whole batch,
 * which dedup makes harmless.
 */
export class CosmosDedupStore implements DedupStore {
  private readonly concurrency: number;
  private readonly meter: RequestMeter;

  constructor(
    private readonly container: Container,
    private readonly options: CosmosDedupOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.meter = options.meter ?? noMeter;
  }

  async createMany(records: readonly DedupRecord[]): Promise<CreateOutcome[]> {
    const outcomes = new Array<CreateOutcome>(records.length);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (!failure && next < records.length) {
        const index = next++;
        try {
          outcomes[index] = await this.createOne(records[index] as DedupRecord);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, records.length) }, worker));
    if (failure) throw failure.error;
    return outcomes;
  }

  private async createOne(record: DedupRecord): Promise<CreateOutcome> {
    const document: DedupDocument = { ...record };
    if (this.options.itemTtlSeconds !== undefined) document.ttl = this.options.itemTtlSeconds;
    try {
      const response = await this.container.items.create(document);
      this.meter.record('dedup_create', response.requestCharge);
      return { status: 'created' };
    } catch (error) {
      const conflict = statusOf(error) === 409;
      this.meter.record(conflict ? 'dedup_conflict' : 'dedup_create', errorCharge(error));
      if (!conflict) throw error;
    }
    return { status: 'duplicate', existing: await this.readExisting(record) };
  }

  /** A point read (1 RU for a small item) to compare the stored copy; null if it expired meanwhile. */
  private async readExisting(record: DedupRecord): Promise<Pick<DedupRecord, 'locationOid' | 'itemName'> | null> {
    const { resource, requestCharge } = await this.container.item(record.id, record.pk).read<DedupDocument>();
    this.meter.record('conflict_read', requestCharge);
    if (!resource || typeof resource.locationOid !== 'string' || typeof resource.itemName !== 'string') return null;
    return { locationOid: resource.locationOid, itemName: resource.itemName };
  }
}
