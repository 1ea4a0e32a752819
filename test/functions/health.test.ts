import { health } from '../../functions/health';
import { useServices } from '../../functions/services';
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

  describe('as an anonymous route in Azure (answers cached for a few seconds per worker)', () => {
    /** Memory services as the Azure host configures them: a health cache, and reads that are counted. */
    function azureLike(locations: () => Promise<Map<string, string>>) {
      const services = installMemoryServices({ locations });
      const metricsRead = jest.spyOn(services.metrics, 'read');
      const cached = { ...services, healthCacheMs: 5_000 };
      useServices(cached);
      return { clock: services.clock, metrics: services.metrics, metricsRead };
    }
    const call = async () => health(get('/api/health'), invocationContext().context);

    it('lets concurrent callers on a cold worker share one Dataset B load and one store read', async () => {
      let release: (table: Map<string, string>) => void = () => undefined;
      const loaded = new Promise<Map<string, string>>((resolve) => (release = resolve));
      const load = jest.fn(() => loaded);
      const { metricsRead } = azureLike(load);
      const answers = Array.from({ length: 50 }, call);
      // Every caller arrives while the load is still under way.
      await new Promise((resolve) => setImmediate(resolve));
      release(new Map([['1', 'Harbour']]));
      const responses = await Promise.all(answers);
      expect(responses.every((response) => response.status === 200)).toBe(true);
      expect(load).toHaveBeenCalledTimes(1);
      expect(metricsRead).toHaveBeenCalledTimes(1);
    });

    it('answers from the cached read for a few seconds, then reads again', async () => {
      const { clock, metrics, metricsRead } = azureLike(() => Promise.resolve(new Map([['1', 'Harbour']])));
      expect(jsonBodyOf<{ counters: { accepted: number } }>(await call()).counters.accepted).toBe(0);
      await metrics.add({ accepted: 7 });
      clock.advance(4_999);
      for (let index = 0; index < 20; index += 1)
        expect(jsonBodyOf<{ counters: { accepted: number } }>(await call()).counters.accepted).toBe(0);
      expect(metricsRead).toHaveBeenCalledTimes(1);
      clock.advance(1);
      expect(jsonBodyOf<{ counters: { accepted: number } }>(await call()).counters.accepted).toBe(7);
      expect(metricsRead).toHaveBeenCalledTimes(2);
    });

    it('keeps a failed Dataset B load for the same few seconds, so callers cannot make it load again and again', async () => {
      const load = jest.fn(() => Promise.reject(new Error('Dataset B: blob "locations.csv" not found')));
      const { clock } = azureLike(load);
      for (let index = 0; index < 10; index += 1) expect((await call()).status).toBe(503);
      expect(load).toHaveBeenCalledTimes(1);
      clock.advance(5_000);
      expect((await call()).status).toBe(503);
      expect(load).toHaveBeenCalledTimes(2);
    });
  });

  it('reads afresh on a host without a health cache (the local runtime), sharing only reads in flight', async () => {
    const services = installMemoryServices({ locations: new Map([['1', 'Harbour']]) });
    const read = jest.spyOn(services.metrics, 'read');
    await Promise.all([health(get('/api/health'), invocationContext().context), health(get('/api/health'), invocationContext().context)]);
    await services.metrics.add({ accepted: 3 });
    const later = await health(get('/api/health'), invocationContext().context);
    expect(jsonBodyOf<{ counters: { accepted: number } }>(later).counters.accepted).toBe(3);
    expect(read).toHaveBeenCalledTimes(2);
  });
});
