/**
 * The bad-input corpus through the real function handlers with in-memory services: `events` (HTTP)
 * then, for what it accepted, `ingest` and `aggregate` as the Azure triggers would run them, and
 * `ingest` directly with the corpus as Event Hubs messages. Never a throw or a 5xx; the right status
 * or per-row reason; every rejected row dead-lettered with its reason; the counters add up; no
 * prototype is polluted.
 */
import { HttpRequest, type HttpResponseInit, InvocationContext } from '@azure/functions';
import { events } from '../../functions/events';
import { ingest } from '../../functions/ingest';
import { topItems } from '../../functions/topItems';
import { createMemoryServices, type MemoryServices } from '../support/memory';
import type { TopItemRow } from '../../shared/domain/ranking';
import type { DeadLetter } from '../../shared/ports';
import { resetServices, useServices } from '../../functions/services';
import { runAggregation } from './support';
import {
  type BadInputCase,
  bodyBytes,
  casesFor,
  contextFor,
  CORPUS_HOUR,
  CORPUS_LOCATIONS,
  itemsOf,
  type PerRow,
  type RejectedRow,
  storedOf,
} from '../fixtures/bad-input/corpus';

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const LOCATIONS = new Map(CORPUS_LOCATIONS.map(({ oid, name }) => [oid, name]));
const quiet = (): void => undefined;

let invocation = 0;
function context(triggerMetadata: Record<string, unknown> = {}): InvocationContext {
  invocation += 1;
  return new InvocationContext({ invocationId: `bad-input-${invocation}`, logHandler: quiet, triggerMetadata });
}

function freshServices(): MemoryServices {
  const services = createMemoryServices({ locations: LOCATIONS, config: { maxBodyBytes: MAX_BODY_BYTES } });
  useServices(services);
  return services;
}

function post(testCase: BadInputCase): Promise<HttpResponseInit> {
  const request = testCase.build(contextFor(testCase, MAX_BODY_BYTES));
  const headers: Record<string, string> = { ...request.headers };
  if (request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
  const httpRequest = new HttpRequest({ method: 'POST', url: 'http://localhost/api/events', headers, body: { bytes: bodyBytes(request) } });
  return events(httpRequest, context());
}

/** Runs what `events` published through `ingest` (one Event Hubs message per event, as the publisher sends) and both aggregation stages. */
async function drain(services: MemoryServices): Promise<void> {
  const messages = services.publisher.published.map((wire) => Buffer.from(JSON.stringify(wire)));
  if (messages.length > 0)
    await ingest(messages, context({ partitionContext: { partitionId: '0' }, sequenceNumberArray: messages.map((_, i) => i) }));
  await runAggregation(services);
}

async function table(location: string, window: string): Promise<Map<string, number>> {
  const url = `http://localhost/api/top-items?location=${location}&top=1000&window=${window}`;
  const response = await topItems(new HttpRequest({ method: 'GET', url }), context());
  expect(response.status).toBe(200);
  return new Map((response.jsonBody as TopItemRow[]).map((row) => [row.item_name, row.item_count]));
}

function expectRejection(reason: string | undefined, row: RejectedRow): void {
  expect(reason).toBeDefined();
  if (row.field !== null) expect(reason?.startsWith(`${row.field}: `)).toBe(true);
  if (row.reason) expect(reason).toMatch(row.reason);
}

function rejectedCount(expected: PerRow): number {
  return expected.rejectedCount ?? expected.rejected.length;
}

const prototypeKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const pristinePrototype = prototypeKeys();

afterEach(() => {
  expect(prototypeKeys()).toEqual(pristinePrototype);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
});
afterAll(() => resetServices());

describe('the corpus through POST /api/events, then ingest and aggregate', () => {
  it.each(casesFor('handler').map((testCase) => [testCase.kind, testCase] as const))('%s', async (_kind, testCase) => {
    const services = freshServices();
    const response = await post(testCase);
    const expected = testCase.expect;

    if (expected.outcome === 'refused') {
      expect(response.status).toBe(expected.status);
      expect((response.jsonBody as { error: string }).error).toMatch(expected.reason);
      expect(services.publisher.published).toHaveLength(0);
      expect(services.deadLetters.all()).toHaveLength(0);
      return;
    }

    expect(response.status).toBe(202);
    const body = response.jsonBody as { accepted: number; rejected: number; errors: { index: number; reason: string }[] };
    expect(body.accepted).toBe(expected.accepted);
    expect(body.rejected).toBe(rejectedCount(expected));
    expect(body.errors).toHaveLength(Math.min(100, rejectedCount(expected)));
    const letters = services.deadLetters.all();
    expect(letters).toHaveLength(rejectedCount(expected));
    for (const row of expected.rejected) {
      const letter = letters.find((candidate) => candidate.index === row.index);
      expectRejection(letter?.reason, row);
      expect(letter?.raw.length).toBeGreaterThan(0);
      // The answer lists the first 100 rejections; a row past them is only in the dead letters.
      const listed = body.errors.find((error) => error.index === row.index);
      if (listed || body.errors.length === rejectedCount(expected)) expect(listed?.reason).toBe(letter?.reason);
    }

    await drain(services);
    const stored = storedOf(expected);
    expect(await services.metrics.read()).toEqual({
      accepted: expected.accepted,
      stored,
      duplicates: expected.duplicates ?? 0,
      conflicts: expected.conflicts ?? 0,
      invalid: rejectedCount(expected),
      unknown_location: expected.unknownLocation ?? 0,
    });

    const location = expected.location ?? '1';
    expect(Object.fromEntries(await table(location, 'all'))).toEqual(itemsOf(testCase));
    const hours = expected.hours ?? (stored > 0 ? { [CORPUS_HOUR]: stored } : {});
    for (const [hour, count] of Object.entries(hours)) {
      const counts = [...(await table(location, `hour:${hour}`)).values()];
      expect(counts.reduce((sum, value) => sum + value, 0)).toBe(count);
    }
  });
});

describe('the corpus as Event Hubs messages through ingest', () => {
  const GOOD = (id: string, n: number): Buffer =>
    Buffer.from(
      JSON.stringify({
        geographical_location_oid: '2',
        video_camera_oid: '1',
        detection_oid: id,
        item_name: 'neighbour',
        timestamp_detected: 1_700_000_000_000 + n,
      }),
    );

  it.each(casesFor('eventhub').map((testCase) => [testCase.kind, testCase] as const))(
    '%s, between two good events',
    async (_kind, testCase) => {
      const services = freshServices();
      const caseBody = bodyBytes(testCase.build(contextFor(testCase, MAX_BODY_BYTES)));
      // Good events before and after the bad one, in the same batch: the batch must not fail.
      const messages = [GOOD('-1', 0), Buffer.from(caseBody), GOOD('-2', 1)];
      await ingest(messages, context({ partitionContext: { partitionId: '3' }, sequenceNumberArray: [100, 101, 102] }));
      await runAggregation(services);

      const expected = testCase.expect;
      const letters: DeadLetter[] = services.deadLetters.all();
      const counters = await services.metrics.read();
      expect(Object.fromEntries(await table('2', 'all'))).toEqual({ neighbour: 2 });

      if (expected.outcome === 'refused') {
        expect(letters).toHaveLength(1);
        expect(letters[0]?.source).toBe('eventhub/3/101');
        expect(letters[0]?.reason).toMatch(/^message: /);
        expect(letters[0]?.reason).toMatch(expected.reason);
        expect(counters).toMatchObject({ stored: 2, duplicates: 0, invalid: 1 });
        return;
      }

      expect(letters).toHaveLength(rejectedCount(expected));
      for (const row of expected.rejected) {
        const letter = letters.find((candidate) => candidate.index === row.index);
        expectRejection(letter?.reason, row);
        expect(letter?.source).toBe('eventhub/3/101');
      }
      expect(counters).toEqual({
        accepted: 0,
        stored: storedOf(expected) + 2,
        duplicates: expected.duplicates ?? 0,
        conflicts: expected.conflicts ?? 0,
        invalid: rejectedCount(expected),
        unknown_location: expected.unknownLocation ?? 0,
      });
      expect(Object.fromEntries(await table(expected.location ?? '1', 'all'))).toEqual(itemsOf(testCase));
    },
  );

  it('keeps ids above 2^53 exact when the host hands over bytes', async () => {
    const services = freshServices();
    const body = (id: string): Buffer =>
      Buffer.from(
        `{"geographical_location_oid":1,"video_camera_oid":2,"detection_oid":${id},"item_name":"exact","timestamp_detected":1700000000000}`,
      );
    await ingest(
      [body('9007199254740993'), body('9007199254740992')],
      context({ partitionContext: { partitionId: '0' }, sequenceNumberArray: [1, 2] }),
    );
    expect(services.dedup.changes().map((change) => change.id)).toEqual(['9007199254740993', '9007199254740992']);
    expect(await services.metrics.read()).toMatchObject({ stored: 2, duplicates: 0, invalid: 0 });
  });

  it('dead-letters events the host already parsed into the wrong shape without failing the batch', async () => {
    const services = freshServices();
    const good = {
      geographical_location_oid: '1',
      video_camera_oid: '2',
      detection_oid: '77',
      item_name: 'parsed',
      timestamp_detected: 1_700_000_000_000,
    };
    await ingest(
      [null, 42, 'not json', [good], { ...good, item_name: '' }],
      context({ partitionContext: { partitionId: '1' }, sequenceNumberArray: [1, 2, 3, 4, 5] }),
    );
    expect(await services.metrics.read()).toMatchObject({ stored: 1, invalid: 4 });
    expect(
      services.deadLetters
        .all()
        .map((letter) => letter.reason.split(':')[0])
        .sort(),
    ).toEqual(['event', 'event', 'item_name', 'message']);
  });
});
