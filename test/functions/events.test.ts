import { events } from '../../functions/events';
import { eventJson, installMemoryServices, invocationContext, jsonBodyOf, post } from './support';

interface Accepted {
  accepted: number;
  rejected: number;
  errors: { index: number; reason: string }[];
}

describe('POST /api/events', () => {
  it('publishes the valid events, dead-letters the rest, and answers 202 with the counts and reasons', async () => {
    const services = installMemoryServices();
    const body = `[${eventJson({ detection: '1' })},${eventJson({ detection: '2', item: '""' })},${eventJson({ detection: '9007199254740993' })},{"item_name":"car"}]`;
    const { context } = invocationContext({ invocationId: 'req-1' });

    const response = await events(post('/api/events', body), context);

    expect(response.status).toBe(202);
    expect(jsonBodyOf<Accepted>(response)).toEqual({
      accepted: 2,
      rejected: 2,
      errors: [
        { index: 1, reason: 'item_name: must not be empty' },
        { index: 3, reason: 'geographical_location_oid: is missing' },
      ],
    });
    expect(services.publisher.published.map((event) => event.detection_oid)).toEqual(['1', '9007199254740993']);
    expect(services.publisher.published[0]).toEqual({
      geographical_location_oid: '1',
      video_camera_oid: '10',
      detection_oid: '1',
      item_name: 'car',
      timestamp_detected: 1795341600000,
    });
    const letters = services.deadLetters.batches.get('http/req-1');
    expect(letters?.map((letter) => [letter.index, letter.reason, letter.source])).toEqual([
      [1, 'item_name: must not be empty', 'http/req-1'],
      [3, 'geographical_location_oid: is missing', 'http/req-1'],
    ]);
    expect(JSON.parse(letters![0]!.raw)).toMatchObject({ detection_oid: 2, item_name: '' });
    expect(await services.metrics.read()).toMatchObject({ accepted: 2, invalid: 2 });
  });

  it('accepts NDJSON, rejecting a malformed line on its own', async () => {
    const services = installMemoryServices();
    const body = `${eventJson({ detection: '1' })}\n{"broken":\n${eventJson({ detection: '2' })}\n`;
    const response = await events(post('/api/events', body, { 'content-type': 'application/x-ndjson' }), invocationContext().context);
    expect(response.status).toBe(202);
    const result = jsonBodyOf<Accepted>(response);
    expect([result.accepted, result.rejected]).toEqual([2, 1]);
    expect(result.errors[0]).toMatchObject({ index: 1, reason: expect.stringMatching(/^malformed JSON on NDJSON line 2/) as unknown });
    expect(services.publisher.published.map((event) => event.detection_oid)).toEqual(['1', '2']);
  });

  it('keeps ids above 2^53 exact when they arrive as JSON numbers', async () => {
    const services = installMemoryServices();
    const body = `[${eventJson({ detection: '9007199254740993', location: '9223372036854775807', camera: '-9223372036854775808' })},${eventJson({ detection: '9007199254740992' })}]`;
    await events(post('/api/events', body), invocationContext().context);
    expect(
      services.publisher.published.map((event) => [event.detection_oid, event.geographical_location_oid, event.video_camera_oid]),
    ).toEqual([
      ['9007199254740993', '9223372036854775807', '-9223372036854775808'],
      ['9007199254740992', '1', '10'],
    ]);
  });

  it.each([
    ['not JSON', 'hello', /not JSON/],
    ['empty', '', /empty/],
    ['a JSON scalar', '42', /not JSON/],
    ['a broken array', '[{"a":1},', /not valid JSON/],
    ['nested too deeply for the lossless parser', `[${'['.repeat(100_000)}9007199254740993${']'.repeat(100_000)}]`, /nesting is too deep/],
  ])('answers 400 with a reason for a body that is %s', async (_name, body, reason) => {
    const services = installMemoryServices();
    const response = await events(post('/api/events', body), invocationContext().context);
    expect(response.status).toBe(400);
    expect(jsonBodyOf<{ error: string }>(response).error).toMatch(reason);
    expect(services.publisher.published).toEqual([]);
  });

  it('rejects a deeply nested but well-formed row as an event, without crashing', async () => {
    installMemoryServices();
    const response = await events(post('/api/events', `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`), invocationContext().context);
    expect(response.status).toBe(202);
    expect(jsonBodyOf<Accepted>(response)).toEqual({
      accepted: 0,
      rejected: 1,
      errors: [{ index: 0, reason: 'event: must be a JSON object, got an array' }],
    });
  });

  it('answers 400 for invalid UTF-8 rather than repairing item names', async () => {
    installMemoryServices();
    const bytes = Buffer.concat([Buffer.from('[{"item_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]);
    const response = await events(post('/api/events', bytes), invocationContext().context);
    expect(response.status).toBe(400);
    expect(jsonBodyOf<{ error: string }>(response).error).toMatch(/UTF-8/);
  });

  it('answers 413 for a body over MAX_BODY_BYTES, whatever Content-Length claims', async () => {
    const services = installMemoryServices({ config: { maxBodyBytes: 100 } });
    const big = `[${Array.from({ length: 5 }, (_, index) => eventJson({ detection: String(index) })).join(',')}]`;
    const honest = await events(post('/api/events', big), invocationContext().context);
    expect(honest.status).toBe(413);
    const lying = await events(post('/api/events', big, { 'content-length': '10' }), invocationContext().context);
    expect(lying.status).toBe(413);
    expect(services.publisher.published).toEqual([]);
  });

  it('does not answer 202 when the events could not be stored', async () => {
    const services = installMemoryServices();
    services.publisher.failNext();
    await expect(events(post('/api/events', `[${eventJson()}]`), invocationContext().context)).rejects.toThrow(/unreachable/);
    expect(await services.metrics.read()).toMatchObject({ accepted: 0 });
  });
});
