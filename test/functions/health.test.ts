import { health } from '../../functions/health';
import { get, installMemoryServices, invocationContext, jsonBodyOf } from './support';

describe('GET /api/health', () => {
  it('reports ready with Dataset B size, every counter and the backlog', async () => {
    const services = installMemoryServices({ locations: new Map([['1', 'Harbour']]), backlog: { events: 3, changes: 0 } });
    await services.metrics.add({ accepted: 5, duplicates: 2, invalid: 1 });
    const response = await health(get('/api/health'), invocationContext().context);
    expect(response.status).toBe(200);
    expect(jsonBodyOf(response)).toEqual({
      status: 'ready',
      host: 'test',
      locations: 1,
      counters: { accepted: 5, stored: 0, duplicates: 2, conflicts: 0, invalid: 1, unknown_location: 0 },
      backlog: { events: 3, changes: 0 },
      checkedAt: '2026-11-22T10:30:00.000Z',
    });
  });

  it('answers 503 with the reason when Dataset B cannot be loaded', async () => {
    installMemoryServices({
      locations: () => Promise.reject(new Error('Dataset B: blob "locations.csv" not found in container "reference"')),
    });
    const { context, logs } = invocationContext();
    const response = await health(get('/api/health'), context);
    expect(response.status).toBe(503);
    expect(jsonBodyOf(response)).toEqual({ status: 'unavailable', error: expect.stringContaining('locations.csv') as unknown });
    expect(logs.some((log) => log.level === 'error')).toBe(true);
  });
});
