import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { compareInt64 } from '../shared/domain/ids';
import { jsonResponse } from '../shared/http';
import { getServices } from './services';

/** GET /api/locations: Dataset B as loaded, oids as decimal strings. Feeds the dashboard's location picker. */
export async function locations(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const table = await (await getServices()).locations();
  const rows = [...table]
    .sort(([a], [b]) => compareInt64(a, b))
    .map(([oid, name]) => ({ geographical_location_oid: oid, geographical_location: name }));
  return jsonResponse(200, rows);
}

app.http('locations', { route: 'locations', methods: ['GET'], authLevel: 'function', handler: locations });
