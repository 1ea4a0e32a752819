import { app, HttpResponse, type HttpFunctionOptions } from '@azure/functions';
import type * as df from 'durable-functions';
import type * as ReplayStartModule from '../../functions/replayStart.js';
import { createMemoryServices, ManualClock } from '../support/memory';
import { useServices } from '../../functions/services';
import { invocationContext, jsonBodyOf, post } from './support';

const registered = new Map<string, HttpFunctionOptions>();
jest.spyOn(app, 'http').mockImplementation((name: string, options: HttpFunctionOptions) => {
  registered.set(name, options);
});

let replayStart: typeof ReplayStartModule.replayStart;
beforeAll(async () => {
  ({ replayStart } = await import('../../functions/replayStart.js'));
});

const NOW = Date.UTC(2026, 10, 22, 10, 30);

/** The two DurableClient calls the starter makes, recorded. */
function fakeClient() {
  const started: { name: string; input: unknown }[] = [];
  const client = {
    startNew: (name: string, options?: { input?: unknown }) => {
      started.push({ name, input: options?.input });
      return Promise.resolve('instance-7');
    },
    createCheckStatusResponse: (_request: unknown, instanceId: string) =>
      new HttpResponse({
        status: 202,
        jsonBody: { id: instanceId, statusQueryGetUri: `http://host/runtime/webhooks/durabletask/instances/${instanceId}` },
      }),
  } as unknown as df.DurableClient;
  return { client, started };
}

beforeEach(() => {
  useServices(createMemoryServices({ clock: new ManualClock(NOW), config: { dedupTtlSeconds: 86_400, replayGuardMinutes: 15 } }));
});

describe('replayStart (POST /api/replay)', () => {
  it('is an HTTP durable client function on route replay, POST, function key', () => {
    const options = registered.get('replayStart');
    expect(options).toMatchObject({ route: 'replay', methods: ['POST'], authLevel: 'function' });
    expect(options?.extraInputs?.some((input) => input.type === 'durableClient')).toBe(true);
  });

  it('starts the orchestration with the normalized range and answers with the status URLs', async () => {
    const { client, started } = fakeClient();
    const response = (await replayStart(
      post('/api/replay', '{"from":"2026-11-22T09:00:00+01:00","to":"2026-11-22T10:00"}'),
      client,
      invocationContext().context,
    )) as HttpResponse;
    expect(started).toEqual([{ name: 'replayOrchestrator', input: { from: '2026-11-22T08:00:00.000Z', to: '2026-11-22T10:00:00.000Z' } }]);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ id: 'instance-7' });
  });

  it('refuses a range past the dedup horizon with 409, saying where the horizon is', async () => {
    const { client, started } = fakeClient();
    // TTL 24 h and guard 15 min: the earliest allowed start is 2026-11-21T10:45Z.
    const response = await replayStart(
      post('/api/replay', '{"from":"2026-11-21T10:44:59Z","to":"2026-11-21T12:00:00Z"}'),
      client,
      invocationContext().context,
    );
    expect(started).toEqual([]);
    expect(response.status).toBe(409);
    const body = jsonBodyOf<{ error: string; horizon: string; earliestFrom: string }>(response);
    expect(body.earliestFrom).toBe('2026-11-21T10:45:00.000Z');
    expect(body.horizon).toBe('2026-11-21T10:30:00.000Z');
    expect(body.error).toContain('replay refused');
  });

  it.each([
    ['not json', /not JSON/],
    ['{"from":"2026-11-22T10:00:00Z"}', /^to:/],
    ['{"from":"2026-11-22T10:00:00Z","to":"2026-11-22T09:00:00Z"}', /later than from/],
  ])('answers 400 for %s', async (body, reason) => {
    const { client, started } = fakeClient();
    const response = await replayStart(post('/api/replay', body), client, invocationContext().context);
    expect(response.status).toBe(400);
    expect(jsonBodyOf<{ error: string }>(response).error).toMatch(reason);
    expect(started).toEqual([]);
  });
});
