import { toWire, validateEvent, type DetectionWire } from '../domain/detection';
import { parseEventRows } from '../domain/json';
import type { Clock, DeadLetter, DeadLetterSink, EventPublisher, MetricsStore } from '../ports';
import { rawText } from './ingest';

export interface AcceptDeps {
  readonly publisher: EventPublisher;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: MetricsStore;
  readonly clock: Clock;
}

export interface AcceptResult {
  accepted: number;
  rejected: number;
  errors: { index: number; reason: string }[];
}

const MAX_ERRORS_LISTED = 100;

/**
 * POST /api/events: validate every row, publish the valid ones (answering only once they are
 * durably stored), and dead-letter the rest with their reasons. Throws BodyError for a body that is
 * not JSON at all, which the HTTP layer turns into a 4xx.
 */
export async function acceptEvents(body: string | Uint8Array, requestId: string, deps: AcceptDeps): Promise<AcceptResult> {
  const rows = parseEventRows(body);
  const receivedAt = new Date(deps.clock.now()).toISOString();
  const valid: DetectionWire[] = [];
  const letters: DeadLetter[] = [];
  for (const row of rows) {
    if ('error' in row) {
      letters.push({ reason: row.error, raw: row.raw, source: `http/${requestId}`, index: row.index, receivedAt });
      continue;
    }
    const result = validateEvent(row.value);
    if (result.ok) valid.push(toWire(result.detection));
    else letters.push({ reason: result.reason, raw: rawText(row.value), source: `http/${requestId}`, index: row.index, receivedAt });
  }
  // Dead letters first: if their store is down the request fails before anything is published, so
  // the client's retry is the first delivery rather than a silent duplicate the counters never saw.
  if (letters.length > 0) await deps.deadLetters.write(`http/${requestId}`, letters);
  if (valid.length > 0) await deps.publisher.publish(valid);
  await deps.metrics.add({ accepted: valid.length, invalid: letters.length });
  return {
    accepted: valid.length,
    rejected: letters.length,
    errors: letters.slice(0, MAX_ERRORS_LISTED).map((letter) => ({ index: letter.index, reason: letter.reason })),
  };
}
