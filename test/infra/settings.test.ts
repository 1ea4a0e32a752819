import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONNECTIONS, SETTINGS } from '../../shared/config';
import { type Entry, infraDir, modules, params, readBicep, variableObject } from './bicepText';

/**
 * The Function App's settings in infra/ must be exactly what the code reads: every setting that
 * shared/config.ts declares for the 'azure' host, every connection a binding names and every
 * %SETTING% a binding resolves. Adding a setting to config.ts or a binding to functions/ without
 * adding it to the Bicep fails here.
 */
const main = readBicep(path.join(infraDir, 'main.bicep'));
const functionAppModule = readBicep(path.join(infraDir, 'modules/function-app.bicep'));
const cosmosModule = readBicep(path.join(infraDir, 'modules/cosmos.bicep'));

const appSettings = variableObject(main, 'appSettings');
const hostSettings = variableObject(functionAppModule, 'hostSettings');
const allSettings = new Map<string, Entry>([...appSettings, ...hostSettings].map((entry) => [entry.key, entry]));
const mainParams = new Map(params(main).map((param) => [param.name, param]));
const mainModules = modules(main);

const azureSettings = SETTINGS.filter((setting) => setting.hosts.includes('azure'));
const connectionPrefixes = Object.values(CONNECTIONS).map((connection) => connection.prefix);

/** The endpoint property each binding type needs for an identity-based connection. */
const endpointPropertyOf: Record<string, string> = {
  eventHub: 'fullyQualifiedNamespace',
  cosmosDB: 'accountEndpoint',
  storageBlob: 'blobServiceUri',
  storageQueue: 'queueServiceUri',
  table: 'tableServiceUri',
  serviceBusQueue: 'fullyQualifiedNamespace',
  serviceBusTopic: 'fullyQualifiedNamespace',
};

interface BindingUse {
  readonly file: string;
  readonly kind: string;
  readonly connection: string;
}

function functionSources(): { file: string; text: string }[] {
  const dir = path.resolve(__dirname, '../../functions');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: `functions/${name}`, text: readFileSync(path.join(dir, name), 'utf8') }));
}

/** `connection: '…'` in a trigger or binding, with the kind of the nearest enclosing app./input./output./trigger. call. */
function connectionsOf(file: string, text: string): BindingUse[] {
  const calls = [...text.matchAll(/\b(?:app|input|output|trigger)\.(\w+)\(/g)].map((match) => ({
    index: match.index ?? 0,
    kind: match[1] as string,
  }));
  return [...text.matchAll(/\bconnection:\s*['"]([^'"]+)['"]/g)].map((match) => {
    const index = match.index ?? 0;
    const call = calls.filter((candidate) => candidate.index < index).pop();
    return { file, kind: call?.kind ?? 'unknown', connection: match[1] as string };
  });
}

function percentSettingsOf(text: string): string[] {
  return [...text.matchAll(/['"`]%([A-Za-z_][A-Za-z0-9_]*)%['"`]/g)].map((match) => match[1] as string);
}

/** A main.bicep parameter an app setting takes its value from: `name` or `string(name)`. */
function parameterOf(entry: Entry): string | undefined {
  const match = /^(?:string\((\w+)\)|(\w+))$/.exec(entry.valueCode);
  const name = match?.[1] ?? match?.[2];
  return name !== undefined && mainParams.has(name) ? name : undefined;
}

function unquote(value: string): string {
  return value.replace(/^'(.*)'$/, '$1');
}

describe('Function App settings in infra/ against shared/config.ts', () => {
  it('finds the settings objects in the Bicep', () => {
    expect(appSettings.length).toBeGreaterThan(10);
    expect(hostSettings.length).toBeGreaterThan(3);
  });

  it.each(azureSettings.map((setting) => setting.name))('sets %s, which the code reads in Azure', (name) => {
    expect(appSettings.map((entry) => entry.key)).toContain(name);
  });

  it('sets nothing else for the code: every app setting is declared in SETTINGS for the azure host', () => {
    const declared = new Set(azureSettings.map((setting) => setting.name));
    expect(appSettings.map((entry) => entry.key).filter((key) => !declared.has(key))).toEqual([]);
  });

  it('keeps the host settings to the Functions host and Application Insights, apart from the code settings', () => {
    for (const entry of hostSettings) {
      expect(entry.key).toMatch(/^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_)/);
      expect(appSettings.some((setting) => setting.key === entry.key)).toBe(false);
    }
  });

  it.each(connectionPrefixes)('makes %s identity-based with the app identity, no connection string', (prefix) => {
    const endpoint = Object.values(CONNECTIONS).find((connection) => connection.prefix === prefix)?.endpointProperty;
    expect(allSettings.get(`${prefix}__${endpoint}`)?.value).toMatch(/\.outputs\./);
    expect(allSettings.get(`${prefix}__credential`)?.value).toBe("'managedidentity'");
    expect(allSettings.get(`${prefix}__clientId`)?.value).toBe('appIdentity.properties.clientId');
    expect(allSettings.has(prefix)).toBe(false);
  });

  it('signs the Functions host in to its storage with the same identity', () => {
    expect(allSettings.get('AzureWebJobsStorage__credential')?.value).toBe("'managedidentity'");
    expect(allSettings.get('AzureWebJobsStorage__clientId')?.value).toBe('identityClientId');
    expect(allSettings.has('AzureWebJobsStorage')).toBe(false);
    expect(allSettings.has('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(true);
  });

  it('deploys the code defaults: each plain setting comes from a main.bicep parameter whose default is the azure default', () => {
    const compared: string[] = [];
    for (const setting of azureSettings) {
      const azureDefault = setting.defaults?.azure;
      const entry = appSettings.find((candidate) => candidate.key === setting.name);
      if (azureDefault === undefined || azureDefault === '' || !entry) continue;
      const param = parameterOf(entry);
      expect({ setting: setting.name, fromParameter: param !== undefined }).toEqual({ setting: setting.name, fromParameter: true });
      expect({ setting: setting.name, default: unquote(mainParams.get(param as string)?.defaultValue ?? '') }).toEqual({
        setting: setting.name,
        default: azureDefault,
      });
      compared.push(setting.name);
    }
    expect(compared).toEqual(expect.arrayContaining(['EVENTHUB_NAME', 'EVENTHUB_CONSUMER_GROUP', 'COSMOS_DATABASE', 'DEDUP_TTL_SECONDS']));
  });

  it('creates every container, database and hub the settings name, from the same parameter', () => {
    const moduleParams = (symbol: string) => mainModules.find((module) => module.symbol === symbol)?.params ?? [];
    const dataContainers =
      moduleParams('dataStorage')
        .find((param) => param.key === 'containerNames')
        ?.valueCode.split(/\s+/) ?? [];
    const creatorOf = (key: string): { module: string; receives: (param: string) => boolean } | undefined => {
      if (key.startsWith('COSMOS_'))
        return { module: 'cosmos', receives: (param) => moduleParams('cosmos').some((entry) => entry.valueCode === param) };
      if (key.startsWith('EVENTHUB_'))
        return { module: 'eventHubs', receives: (param) => moduleParams('eventHubs').some((entry) => entry.valueCode === param) };
      if (key.endsWith('_CONTAINER')) return { module: 'dataStorage', receives: (param) => dataContainers.includes(param) };
      return undefined;
    };
    const named = appSettings.filter((entry) => creatorOf(entry.key) !== undefined);
    expect(named.map((entry) => entry.key).sort()).toEqual(
      azureSettings
        .map((setting) => setting.name)
        .filter((name) => /^(COSMOS_|EVENTHUB_)|_CONTAINER$/.test(name))
        .sort(),
    );
    for (const entry of named) {
      const param = parameterOf(entry);
      const creator = creatorOf(entry.key);
      expect({ setting: entry.key, createdBy: creator?.module, created: param !== undefined && creator?.receives(param) }).toEqual({
        setting: entry.key,
        createdBy: creator?.module,
        created: true,
      });
    }
  });

  it('uses one parameter for the dedup horizon: the container TTL and DEDUP_TTL_SECONDS', () => {
    const ttlParam = parameterOf(appSettings.find((entry) => entry.key === 'DEDUP_TTL_SECONDS') as Entry);
    const cosmosCall = mainModules.find((module) => module.path === 'modules/cosmos.bicep');
    expect(cosmosCall?.params.find((param) => param.key === 'dedupTtlSeconds')?.valueCode).toBe(ttlParam);
    expect(cosmosModule.code).toMatch(/defaultTtl:\s*dedupTtlSeconds\b/);
  });
});

describe('bindings in functions/ against the Bicep settings', () => {
  const sources = functionSources();
  const uses = sources.flatMap(({ file, text }) => connectionsOf(file, text));
  const percentSettings = sources.flatMap(({ file, text }) => percentSettingsOf(text).map((name) => ({ file, name })));

  it('finds the bindings (the scan itself works)', () => {
    expect(uses.length).toBeGreaterThan(0);
    expect(percentSettings.length).toBeGreaterThan(0);
  });

  it('has every connection prefix set as an identity-based connection with its endpoint', () => {
    for (const use of uses) {
      const endpoint = endpointPropertyOf[use.kind];
      const present = [...allSettings.keys()].filter((key) => key.startsWith(`${use.connection}__`));
      expect({ ...use, present: present.length > 0 }).toEqual({ ...use, present: true });
      if (endpoint) expect({ ...use, endpoint: allSettings.has(`${use.connection}__${endpoint}`) }).toEqual({ ...use, endpoint: true });
      expect({ ...use, credential: allSettings.get(`${use.connection}__credential`)?.value }).toEqual({
        ...use,
        credential: "'managedidentity'",
      });
    }
  });

  it('has every %SETTING% a binding resolves', () => {
    for (const { file, name } of percentSettings) {
      expect({ file, name, set: allSettings.has(name) }).toEqual({ file, name, set: true });
    }
  });

  it('gives Durable Functions (task hub in AzureWebJobsStorage) its queue and table endpoints when any function uses it', () => {
    const usesDurable = sources.some(({ text }) => /from ['"]durable-functions['"]/.test(text));
    if (usesDurable) {
      expect(allSettings.has('AzureWebJobsStorage__queueServiceUri')).toBe(true);
      expect(allSettings.has('AzureWebJobsStorage__tableServiceUri')).toBe(true);
    }
    expect(allSettings.has('AzureWebJobsStorage__blobServiceUri')).toBe(true);
  });
});

/** The Bicep CLI, when this machine has it: $BICEP_BIN, or the one infra/scripts/bicep.sh linked. */
function bicepCli(): string | undefined {
  const candidates = [process.env['BICEP_BIN'], path.join(infraDir, '.bicep/bin/bicep')];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

function findAppSettingsParameter(node: unknown): Record<string, unknown> | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const record = node as Record<string, unknown>;
  const appSettingsParam = record['appSettings'] as { value?: unknown } | undefined;
  if (appSettingsParam && typeof appSettingsParam.value === 'object' && appSettingsParam.value !== null) {
    return appSettingsParam.value as Record<string, unknown>;
  }
  for (const child of Object.values(record)) {
    const found = findAppSettingsParameter(child);
    if (found) return found;
  }
  return undefined;
}

const cli = bicepCli();
(cli ? describe : describe.skip)('compiled template (Bicep CLI present)', () => {
  it('passes the Function App exactly the settings read from the Bicep text', () => {
    const template = JSON.parse(
      execFileSync(cli as string, ['build', path.join(infraDir, 'main.bicep'), '--stdout'], { encoding: 'utf8', timeout: 180_000 }),
    ) as unknown;
    const compiled = findAppSettingsParameter(template);
    expect(Object.keys(compiled ?? {}).sort()).toEqual(appSettings.map((entry) => entry.key).sort());
  });
});
