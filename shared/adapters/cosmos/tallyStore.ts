import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import { type Tally, tallyDocumentOf, type TallyDocument } from '../../domain/tallies';
import { noMeter, type RequestMeter, type TallyCursor, type TallyStore } from '../../ports';
import { runConditionalBatch } from './batch';

/** Where a partition's tallies end: one per logical partition of the tallies container. */
export interface TallyCursorDocument {
  id: typeof CURSOR_ID;
  pk: string;
  type: 'cursor';
  lastSequence: number;
  /** Never expires, unlike the tallies (the container's default TTL): a partition may be idle for long. */
  ttl: -1;
  _etag?: string;
}

export const CURSOR_ID = 'cursor';

/**
 * The tallies container (partition key /pk). A partition's tallies and its cursor share a logical
 * partition, so a tally is created and the cursor moved in one transactional batch, the cursor's
 * replace conditional on the etag it was read at. Cursor documents also appear on the container's
 * change feed; `aggregate` passes over them. One lease of the dedup feed holds a dedup partition, so
 * this worker is its cursor's only writer: it keeps the cursor it last wrote and reads again only
 * after a refused append (the lease moved, or a redelivery raced it).
 */
export class CosmosTallyStore implements TallyStore {
  private readonly cursors = new Map<string, TallyCursor>();

  constructor(
    private readonly container: Container,
    private readonly meter: RequestMeter = noMeter,
  ) {}

  async cursor(partition: string): Promise<TallyCursor> {
    const known = this.cursors.get(partition);
    if (known) return known;
    const { resource, requestCharge } = await this.container.item(CURSOR_ID, partition).read<TallyCursorDocument>();
    // The cursor read is part of appending a tally: the batch that follows is conditional on it.
    this.meter.record('tally_append', requestCharge);
    if (!resource?._etag) return { lastSequence: null, etag: null };
    return { lastSequence: resource.lastSequence, etag: resource._etag };
  }

  async append(tally: Tally, expectedEtag: string | null): Promise<boolean> {
    const { partition } = tally;
    const cursor: TallyCursorDocument = { id: CURSOR_ID, pk: partition, type: 'cursor', lastSequence: tally.lastSequence, ttl: -1 };
    const document = tallyDocumentOf(tally);
    const operations: OperationInput[] = [
      expectedEtag === null
        ? { operationType: 'Create', partitionKey: partition, resourceBody: asJson(cursor) }
        : { operationType: 'Replace', partitionKey: partition, id: CURSOR_ID, ifMatch: expectedEtag, resourceBody: asJson(cursor) },
      { operationType: 'Create', partitionKey: partition, resourceBody: asJson(document) },
    ];
    const outcome = await runConditionalBatch(this.container, operations, partition, `tally ${tally.id}`, {
      meter: this.meter,
      operation: 'tally_append',
    });
    if (outcome.committed && outcome.eTag) this.cursors.set(partition, { lastSequence: tally.lastSequence, etag: outcome.eTag });
    else this.cursors.delete(partition);
    return outcome.committed;
  }
}

function asJson(document: TallyDocument | TallyCursorDocument): JSONObject {
  return document as unknown as JSONObject;
}
