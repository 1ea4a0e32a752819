import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { parseInt64 } from '../shared/domain/ids';
import { parseTop } from '../shared/domain/ranking';
import { parseWindow } from '../shared/domain/windows';
import { jsonResponse, problem } from '../shared/http';
import { queryTopItems } from '../shared/pipeline/topItems';
import { getServices } from './services';

/** GET /api/top-items?location=<oid>&top=<x>&window=<all|hour:…|last:Nh> */
export async function topItems(request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const locationParam = request.query.get('location');
  const location = locationParam === null || locationParam === '' ? undefined : parseInt64(locationParam);
  if (location && !location.ok) return problem(400, `location: ${location.problem}`);
  const top = parseTop(request.query.get('top'));
  if (!top.ok) return problem(400, top.problem);
  const window = parseWindow(request.query.get('window'));
  if (!window.ok) return problem(400, window.problem);

  const services = await getServices();
  const rows = await queryTopItems({ ...(location ? { locationOid: location.value } : {}), top: top.top, window: window.window }, services);
  return jsonResponse(200, rows);
}

app.http('topItems', { route: 'top-items', methods: ['GET'], authLevel: 'function', handler: topItems });
