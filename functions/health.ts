import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse } from '../shared/http';
import { readHealth } from '../shared/pipeline/health';
import { getServices } from './services';

/** GET /api/health: readiness, backlog and pipeline counters. The one route open without a key. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const report = await readHealth(await getServices());
    return jsonResponse(200, report);
  } catch (error) {
    context.error('health check failed', error);
    return jsonResponse(503, { status: 'unavailable', error: (error as Error).message });
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
