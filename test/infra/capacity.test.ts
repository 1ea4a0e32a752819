import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../../shared/config';
import { computeCapacity, DEFAULT_INPUTS } from '../../tools/capacity';
import { infraDir, params, readBicep, resourceBodies, variableObject } from './bicepText';

/**
 * The capacity values the infrastructure deploys are the capacity model's (npm run capacity at its
 * defaults), and the KQL query that measures a deployment sets the model's own figures beside it.
 */
const model = computeCapacity(DEFAULT_INPUTS);
const main = readBicep(path.join(infraDir, 'main.bicep'));
const cosmosModule = readBicep(path.join(infraDir, 'modules/cosmos.bicep'));
const paramFile = readFileSync(path.join(infraDir, 'main.bicepparam'), 'utf8');
const paramFileValues = new Map(
  [...paramFile.matchAll(/^param\s+(\w+)\s*=\s*(.+?)\s*$/gm)].map((match) => [match[1] as string, match[2] as string]),
);
const mainDefaults = new Map(params(main).map((param) => [param.name, param.defaultValue]));
const appSettings = new Map(variableObject(main, 'appSettings').map((entry) => [entry.key, entry.value]));
const kql = readFileSync(path.join(infraDir, 'monitoring/ru-by-operation.kql'), 'utf8');

const parameterValues = Object.entries(model.bicep).filter(([name]) => name !== 'leasesMaxThroughput');

describe('infra/ deploys what the capacity model computes', () => {
  it.each(parameterValues)('main.bicepparam sets %s to the model figure %d', (name, value) => {
    expect(paramFileValues.get(name)).toBe(String(value));
  });

  it.each(parameterValues)('main.bicep defaults %s to the model figure %d', (name, value) => {
    expect(mainDefaults.get(name)).toBe(String(value));
  });

  it('gives the leases container the model autoscale max', () => {
    expect(/^var\s+leasesMaxThroughput\s*=\s*(\d+)\s*$/m.exec(cosmosModule.code)?.[1]).toBe(String(model.bicep.leasesMaxThroughput));
  });

  it.each([
    ['DEDUP_TTL_SECONDS', 'dedupTtlSeconds'],
    ['ROWS_REFRESH_SECONDS', 'rowsRefreshSeconds'],
    ['HOURLY_RETENTION_DAYS', 'hourlyRetentionDays'],
  ])('passes %s to the app from the parameter %s, whose code default is the model figure', (setting, parameter) => {
    expect(appSettings.get(setting)).toBe(`string(${parameter})`);
    const value = String(model.bicep[parameter as keyof typeof model.bicep]);
    expect(SETTINGS.find((entry) => entry.name === setting)?.defaults?.azure).toBe(value);
  });

  it('lets hourly counters expire by a per-item TTL: the top-items container has TTL on with no default expiry', () => {
    const topItems = [...resourceBodies(cosmosModule, 'containers').values()].find((body) => /name:\s*topItemsContainerName/.test(body));
    expect(topItems).toMatch(/^\s*defaultTtl:\s*-1\s*$/m);
  });
});

describe('infra/monitoring/ru-by-operation.kql', () => {
  const datatable = /let model = datatable\([^)]*\)\s*\[([\s\S]*?)\];/.exec(kql)?.[1] ?? '';
  const rows = new Map([...datatable.matchAll(/"(\w+)",\s*([\d.]+)/g)].map((match) => [match[1] as string, Number(match[2])]));

  it("holds the model's RU per stored detection for every operation, to three decimals", () => {
    expect(rows.size).toBe(model.operations.length);
    for (const operation of model.operations)
      expect({ operation: operation.operation, ru: rows.get(operation.operation) }).toEqual({
        operation: operation.operation,
        ru: Number(operation.ruPerStoredDetection.toFixed(3)),
      });
  });

  it('returns the columns --measured reads, one row per operation', () => {
    const projected = /\n\| project\n([\s\S]*?)\n\|/.exec(kql)?.[1] ?? '';
    const columns = projected.split('\n').map((line) => /^\s*(\w+)/.exec(line)?.[1]);
    expect(columns).toEqual([
      'operation',
      'requests',
      'total_ru',
      'ru_per_request',
      'ru_per_stored_detection',
      'model_ru_per_stored_detection',
    ]);
    expect(kql).toContain('Message startswith "cosmos-charges "');
    expect(kql).toMatch(/union isfuzzy=true\s+\(AppTraces [^)]*\),\s+\(traces /);
    expect(kql).toMatch(/summarize requests = sum\(n\), total_ru = sum\(ru\) by operation/);
  });
});
