import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { serveODataFeed } from '../shared/pipeline/odata';
import { getServices } from './services';

/**
 * GET /api/odata/… : the OData v4 feed for Power BI (service document, $metadata, TopItems,
 * Locations). Protected by a function key, sent as `?code=` or the `x-functions-key` header.
 */
export async function odata(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const services = await getServices();
  const response = await serveODataFeed(
    { method: request.method, url: request.url, headers: request.headers },
    {
      counters: services.counters,
      locations: services.locations,
      materializedTop: services.config.materializedTop,
      hourlyRetentionDays: services.config.hourlyRetentionDays,
      clock: services.clock,
    },
  );
  return { status: response.status, headers: response.headers, body: response.body };
}

app.http('odata', { route: 'odata/{*path}', methods: ['GET'], authLevel: 'function', handler: odata });
