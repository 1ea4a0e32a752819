import type { CountedChange } from '../domain/tallies';
import { MAX_EPOCH_MS } from '../domain/detection';
import { parseTallyDocument, type Tally } from '../domain/tallies';

/**
 * Reads change-feed documents of the dedup store (Cosmos DB items with `_lsn`, or the local change
 * log in the same shape). A document that is not a dedup record is reported, never thrown on, so it
 * cannot block the feed.
 */
export function decodeChanges(documents: readonly unknown[]): { changes: CountedChange[]; malformed: string[] } {
  const changes: CountedChange[] = [];
  const malformed: string[] = [];
  for (const document of documents) {
    const doc = document as Record<string, unknown> | null;
    if (
      doc &&
      typeof doc['id'] === 'string' &&
      typeof doc['pk'] === 'string' &&
      typeof doc['_lsn'] === 'number' &&
      typeof doc['locationOid'] === 'string' &&
      typeof doc['itemName'] === 'string' &&
      isEventTime(doc['timestampMs']) &&
      (doc['location'] === null || typeof doc['location'] === 'string')
    ) {
      changes.push({
        partition: doc['pk'],
        sequence: doc['_lsn'],
        detectionOid: doc['id'],
        locationOid: doc['locationOid'],
        location: doc['location'],
        itemName: doc['itemName'],
        timestampMs: doc['timestampMs'],
      });
    } else {
      malformed.push(JSON.stringify(document)?.slice(0, 200) ?? String(document));
    }
  }
  return { changes, malformed };
}

/**
 * Reads tally-feed documents (see domain/tallies.ts). The partitions' cursors share the feed and are
 * passed over; any other document that is not a tally is reported, never thrown on.
 */
export function decodeTallies(documents: readonly unknown[]): { tallies: Tally[]; malformed: string[] } {
  const tallies: Tally[] = [];
  const malformed: string[] = [];
  for (const document of documents) {
    if (isCursor(document)) continue;
    const parsed = parseTallyDocument(document);
    if (parsed.ok) tallies.push(parsed.tally);
    else malformed.push(`${parsed.problem}: ${JSON.stringify(document)?.slice(0, 200) ?? String(document)}`);
  }
  return { tallies, malformed };
}

function isCursor(document: unknown): boolean {
  return typeof document === 'object' && document !== null && (document as Record<string, unknown>)['type'] === 'cursor';
}

/** An instant `ingest` could have stored: outside that range there is no hour window to count it in. */
function isEventTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_EPOCH_MS;
}
