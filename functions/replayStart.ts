import type { HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { asClientError, jsonResponse, readBody } from '../shared/http';
import { validateReplayStart } from '../shared/pipeline/replay';
import { REPLAY_LIMITS } from '../shared/pipeline/replayLimits';
import { getServices } from './services';

/**
 * POST /api/replay { from, to }: checks the range against the dedup horizon, starts the replay
 * orchestration and answers 202 with the standard Durable Functions status URLs. A range past the
 * horizon is refused with 409 and a message that says where the horizon is.
 */
export async function replayStart(
  request: HttpRequest,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<HttpResponse | HttpResponseInit> {
  const services = await getServices();
  let body: Uint8Array;
  try {
    body = await readBody(request, REPLAY_LIMITS.requestBytes);
  } catch (error) {
    const clientError = asClientError(error);
    if (clientError) return clientError;
    throw error;
  }
  const start = validateReplayStart(body, services.config, services.clock.now());
  if (!start.ok) return jsonResponse(start.status, start.body);
  const instanceId = await client.startNew('replayOrchestrator', { input: start.request });
  context.log(`replay ${instanceId} started for [${start.request.from}, ${start.request.to})`);
  return client.createCheckStatusResponse(request, instanceId);
}

df.app.client.http('replayStart', { route: 'replay', methods: ['POST'], authLevel: 'function', handler: replayStart });
