import { locations } from '../../functions/locations';
import { get, installMemoryServices, invocationContext, jsonBodyOf } from './support';

describe('GET /api/locations', () => {
  it('lists Dataset B in numeric oid order, oids as strings', async () => {
    installMemoryServices({
      locations: new Map([
        ['9007199254740993', 'Airport'],
        ['10', 'Harbour'],
        ['-3', 'Depot'],
        ['9', 'Old Town'],
      ]),
    });
    const response = await locations(get('/api/locations'), invocationContext().context);
    expect(response.status).toBe(200);
    expect(jsonBodyOf(response)).toEqual([
      { geographical_location_oid: '-3', geographical_location: 'Depot' },
      { geographical_location_oid: '9', geographical_location: 'Old Town' },
      { geographical_location_oid: '10', geographical_location: 'Harbour' },
      { geographical_location_oid: '9007199254740993', geographical_location: 'Airport' },
    ]);
  });
});
