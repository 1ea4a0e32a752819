import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { asClientError, jsonResponse, readBody } from '../shared/http';
import { acceptEvents } from '../shared/pipeline/acceptEvents';
import { getServices } from './services';

/** POST /api/events: validate, publish the valid events, answer 202 once they are durably stored. */
export async function events(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const services = await getServices();
  try {
    const body = await readBody(request, services.config.maxBodyBytes);
    const result = await acceptEvents(body, context.invocationId, services);
    return jsonResponse(202, result);
  } catch (error) {
    const clientError = asClientError(error);
    if (clientError) return clientError;
    throw error;
  }
}

app.http('events', { route: 'events', methods: ['POST'], authLevel: 'function', handler: events });
