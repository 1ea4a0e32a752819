import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { jsonResponse } from '../shared/http';
import { cachedHealth } from '../shared/pipeline/health';
import { getServices } from './services';

/**
 * GET /api/health: readiness, backlog and pipeline counters. The one route open without a key, so it
 * answers from the worker's cached read (see cachedHealth) and never costs more than that.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const services = await getServices();
    const report = await cachedHealth(services, services.healthCacheMs ?? 0);
    return jsonResponse(200, report);
  } catch (error) {
    context.error('health check failed', error);
    return jsonResponse(503, { status: 'unavailable', error: (error as Error).message });
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
