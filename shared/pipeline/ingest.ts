import { type Detection, sameFacts, validateEvent } from '../domain/detection';
import { LosslessNumber, stringify as stringifyLossless } from 'lossless-json';
import { BodyError, type ParsedRow, parseEventRows } from '../domain/json';
import type { LocationTable } from '../domain/locations';
import { dedupPartitionOf } from '../domain/partitioning';
import type { Clock, DeadLetter, DeadLetterSink, DedupRecord, DedupStore, MetricsStore, PipelineCounters } from '../ports';

/** One message from the stream: a parsed event object, or raw text or bytes holding one or more events. */
export interface IngestMessage {
  readonly body: unknown;
  /** Where it came from, e.g. "eventhub/3/1234" (partition 3, sequence number 1234). */
  readonly source: string;
}

export interface IngestDeps {
  readonly dedup: DedupStore;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: MetricsStore;
  readonly locations: () => Promise<LocationTable>;
  readonly clock: Clock;
  readonly dedupPartitions: number;
}

/** The ingest dependencies of a host's services: the ports as they are, the partition count from the config. */
export function ingestDepsOf(
  services: Omit<IngestDeps, 'dedupPartitions'> & { readonly config: { readonly dedupPartitions: number } },
): IngestDeps {
  return { ...services, dedupPartitions: services.config.dedupPartitions };
}

export type IngestSummary = Omit<PipelineCounters, 'accepted'> & { received: number };

/**
 * The ingest use-case, shared by the Event Hubs trigger, the local partition pumps and replay:
 * validate, dead-letter what is invalid, join with Dataset B, and create each detection in the dedup
 * store, where an existing id means duplicate. Bad data never throws; only infrastructure faults do,
 * so that the trigger's retry policy redelivers the batch.
 */
export async function ingestBatch(messages: readonly IngestMessage[], deps: IngestDeps): Promise<IngestSummary> {
  const receivedAt = new Date(deps.clock.now()).toISOString();
  const letters: DeadLetter[] = [];
  const valid: Detection[] = [];
  let received = 0;

  for (const message of messages) {
    for (const row of decodeMessage(message.body)) {
      received += 1;
      if ('error' in row) {
        letters.push({ reason: row.error, raw: row.raw, source: message.source, index: row.index, receivedAt });
        continue;
      }
      const result = validateEvent(row.value);
      if (result.ok) valid.push(result.detection);
      else letters.push({ reason: result.reason, raw: rawText(row.value), source: message.source, index: row.index, receivedAt });
    }
  }

  const summary: IngestSummary = { received, stored: 0, duplicates: 0, conflicts: 0, invalid: letters.length, unknown_location: 0 };
  if (letters.length > 0) await deps.deadLetters.write(batchKeyOf(messages), letters);

  // The batch's first copy of each detection goes to the store; later copies in the batch are
  // duplicates, judged for conflicts against whichever copy wins (stored earlier, or this batch's first).
  const firstCopies = new Map<string, Detection>();
  const repeats = new Map<string, Detection[]>();
  for (const detection of valid) {
    if (!firstCopies.has(detection.detectionOid)) {
      firstCopies.set(detection.detectionOid, detection);
      continue;
    }
    summary.duplicates += 1;
    const list = repeats.get(detection.detectionOid);
    if (list) list.push(detection);
    else repeats.set(detection.detectionOid, [detection]);
  }

  if (firstCopies.size > 0) {
    const locations = await deps.locations();
    const records: DedupRecord[] = [];
    for (const detection of firstCopies.values()) {
      records.push({
        id: detection.detectionOid,
        pk: dedupPartitionOf(detection.detectionOid, deps.dedupPartitions),
        locationOid: detection.locationOid,
        location: locations.get(detection.locationOid) ?? null,
        cameraOid: detection.cameraOid,
        itemName: detection.itemName,
        timestampMs: detection.timestampMs,
        storedAt: receivedAt,
      });
    }
    const outcomes = await deps.dedup.createMany(records);
    outcomes.forEach((outcome, index) => {
      const record = records[index] as DedupRecord;
      let winner: Pick<DedupRecord, 'locationOid' | 'itemName'> = record;
      if (outcome.status === 'created') {
        summary.stored += 1;
        if (record.location === null) summary.unknown_location += 1;
      } else {
        summary.duplicates += 1;
        if (outcome.existing) {
          winner = outcome.existing;
          if (!sameFacts(winner, record)) summary.conflicts += 1;
        }
      }
      for (const repeat of repeats.get(record.id) ?? []) if (!sameFacts(winner, repeat)) summary.conflicts += 1;
    });
  }

  const { received: _received, ...counters } = summary;
  await deps.metrics.add(counters);
  return summary;
}

type DecodedRow = ParsedRow;

function decodeMessage(body: unknown): DecodedRow[] {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      return parseEventRows(body);
    } catch (error) {
      const reason = error instanceof BodyError ? error.message : `unreadable message: ${(error as Error).message}`;
      return [{ index: 0, error: `message: ${reason}`, raw: rawSnippet(body) }];
    }
  }
  if (Array.isArray(body)) return (body as unknown[]).map((value, index) => ({ index, value }));
  return [{ index: 0, value: body }];
}

const MAX_RAW_CHARS = 64 * 1024;

function rawSnippet(body: string | Uint8Array): string {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  return text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}…` : text;
}

export function rawText(value: unknown): string {
  try {
    // The lossless serializer writes numbers kept as text back as the same digits, unquoted.
    const text = stringifyLossless(value, (_key, field: unknown) =>
      typeof field === 'bigint' ? new LosslessNumber(field.toString()) : field,
    );
    return text === undefined ? String(value) : text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}…` : text;
  } catch {
    // Nesting deep enough to overflow JSON.stringify overflows String() too (it recurses through join).
    return typeof value === 'object' && value !== null ? '[not printable: nested too deeply]' : String(value);
  }
}

function batchKeyOf(messages: readonly IngestMessage[]): string {
  const first = messages[0]?.source ?? 'empty';
  const last = messages[messages.length - 1]?.source ?? first;
  return first === last ? first : `${first}..${last.split('/').pop() ?? ''}`;
}
