import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAzureConfig, SETTINGS } from '../../shared/config';

const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};
const HOST_SETTINGS = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'];

describe('local.settings.sample.json', () => {
  it('lists every setting of the Function app, and nothing the code does not read', () => {
    const azureSettings = SETTINGS.filter((setting) => setting.hosts.includes('azure')).map((setting) => setting.name);
    expect(Object.keys(sample.Values).sort()).toEqual([...azureSettings, ...HOST_SETTINGS].sort());
    expect(sample.Values['FUNCTIONS_WORKER_RUNTIME']).toBe('node');
  });

  it('holds values the app accepts, with identity-based endpoints', () => {
    const config = loadAzureConfig(sample.Values);
    expect(config.cosmos).toMatchObject({ kind: 'identity', credential: 'default' });
    expect(config.eventHubs).toMatchObject({ kind: 'identity', endpoint: expect.stringContaining('servicebus.windows.net') as unknown });
    expect(config.storage).toMatchObject({ kind: 'identity', endpoint: expect.stringMatching(/^https:\/\//) as unknown });
  });
});
