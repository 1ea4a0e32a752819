import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { infraDir, intBound, modules, params, readBicep, resourceBodies, variableObject } from './bicepText';

/**
 * The Cosmos DB containers infra/ creates against the Cosmos DB triggers in functions/ that read
 * them, and the tallies container's one-physical-partition limit, which only the parameters enforce.
 */
const main = readBicep(path.join(infraDir, 'main.bicep'));
const cosmosModule = readBicep(path.join(infraDir, 'modules/cosmos.bicep'));
const paramFile = readFileSync(path.join(infraDir, 'main.bicepparam'), 'utf8');

const appSettings = variableObject(main, 'appSettings');
const cosmosCall = modules(main).find((module) => module.path === 'modules/cosmos.bicep');
const containers = resourceBodies(cosmosModule, 'containers');
const mainParams = new Map(params(main).map((param) => [param.name, param]));
const paramFileValues = new Map(
  [...paramFile.matchAll(/^param\s+(\w+)\s*=\s*(.+?)\s*$/gm)].map((match) => [match[1] as string, match[2] as string]),
);

/** The body of the container an app setting names: setting -> main.bicep parameter -> cosmos.bicep parameter -> `name:`. */
function containerNamedBy(setting: string): string | undefined {
  const mainParam = appSettings.find((entry) => entry.key === setting)?.valueCode;
  const moduleParam = cosmosCall?.params.find((entry) => entry.valueCode === mainParam)?.key;
  if (moduleParam === undefined) return undefined;
  return [...containers.values()].find((body) => new RegExp(`^\\s*name:\\s*${moduleParam}\\s*$`, 'm').test(body));
}

/** The cosmos.bicep parameter a container property takes its value from, e.g. `defaultTtl: <param>`. */
function parameterAt(body: string, property: string): string | undefined {
  return new RegExp(`\\b${property}:\\s*(\\w+)\\s*$`, 'm').exec(body)?.[1];
}

interface CosmosTrigger {
  readonly file: string;
  readonly name: string;
  readonly options: Record<string, string>;
}

/** `app.cosmosDB('<name>', { … })` registrations, with their string and boolean options as written. */
function cosmosTriggers(): CosmosTrigger[] {
  const dir = path.resolve(__dirname, '../../functions');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      return [...text.matchAll(/\bapp\.cosmosDB\(\s*['"](\w+)['"]\s*,\s*\{([\s\S]*?)\n\}\);/g)].map((match) => ({
        file: `functions/${name}`,
        name: match[1] as string,
        options: Object.fromEntries(
          [...(match[2] as string).matchAll(/^\s*(\w+):\s*(?:'([^']*)'|(true|false)),?\s*$/gm)].map((option) => [
            option[1] as string,
            (option[2] ?? option[3]) as string,
          ]),
        ),
      }));
    });
}

const percentSetting = (value: string | undefined) => /^%(\w+)%$/.exec(value ?? '')?.[1];

describe('Cosmos DB triggers in functions/ against the containers in infra/', () => {
  const triggers = cosmosTriggers();

  it('finds the triggers (the scan itself works)', () => {
    expect(triggers.map((trigger) => trigger.name).sort()).toEqual(expect.arrayContaining(['aggregate', 'tally']));
  });

  it.each(triggers.map((trigger) => [trigger.name, trigger] as const))(
    '%s watches a container the Bicep creates and leaves its lease container to the Bicep',
    (_name, trigger) => {
      for (const option of ['containerName', 'leaseContainerName']) {
        const setting = percentSetting(trigger.options[option]);
        expect({
          trigger: trigger.name,
          option,
          setting,
          created: setting !== undefined && containerNamedBy(setting) !== undefined,
        }).toEqual({
          trigger: trigger.name,
          option,
          setting,
          created: true,
        });
      }
      // The app's data role cannot create containers, so a trigger that tried would fail to start.
      expect({ trigger: trigger.name, createLeaseContainerIfNotExists: trigger.options['createLeaseContainerIfNotExists'] }).toEqual({
        trigger: trigger.name,
        createLeaseContainerIfNotExists: 'false',
      });
    },
  );

  it('gives triggers that share a lease container distinct lease prefixes, none the start of another', () => {
    const byLeaseContainer = new Map<string, CosmosTrigger[]>();
    for (const trigger of triggers) {
      const key = trigger.options['leaseContainerName'] ?? '';
      byLeaseContainer.set(key, [...(byLeaseContainer.get(key) ?? []), trigger]);
    }
    for (const [leaseContainer, sharing] of byLeaseContainer) {
      if (sharing.length < 2) continue;
      const prefixes = sharing.map((trigger) => trigger.options['leaseContainerPrefix'] ?? '');
      for (const [i, prefix] of prefixes.entries()) {
        const clashes = prefixes.filter((other, j) => j !== i && other.startsWith(prefix));
        expect({ leaseContainer, trigger: sharing[i]?.name, prefix, clashes }).toEqual({
          leaseContainer,
          trigger: sharing[i]?.name,
          prefix,
          clashes: [],
        });
      }
    }
  });
});

describe('the tallies container', () => {
  const tallies = containerNamedBy('COSMOS_TALLIES_CONTAINER') ?? '';

  it('is created from the COSMOS_TALLIES_CONTAINER parameter', () => {
    expect(tallies).not.toBe('');
  });

  it('is partitioned on /pk, expires its documents and indexes nothing, like dedup', () => {
    expect(tallies).toMatch(/paths:\s*\[\s*'\/pk'\s*\]/);
    expect(parameterAt(tallies, 'defaultTtl')).toBe('talliesTtlSeconds');
    expect(tallies).toMatch(/includedPaths:\s*\[\s*\]/);
    expect(tallies).toMatch(/excludedPaths:\s*\[\s*\{\s*path:\s*'\/\*'\s*\}\s*\]/);
  });

  it('stays one physical partition: its autoscale ceiling can never exceed 10,000 RU/s', () => {
    const moduleParam = parameterAt(tallies, 'maxThroughput') as string;
    expect(intBound(cosmosModule, moduleParam, 'maxValue')).toBeLessThanOrEqual(10000);
    const mainParam = cosmosCall?.params.find((entry) => entry.key === moduleParam)?.valueCode as string;
    expect(mainParams.has(mainParam)).toBe(true);
    expect(intBound(main, mainParam, 'maxValue')).toBeLessThanOrEqual(10000);
    expect(Number(mainParams.get(mainParam)?.defaultValue)).toBeLessThanOrEqual(10000);
    expect(Number(paramFileValues.get(mainParam) ?? mainParams.get(mainParam)?.defaultValue)).toBeLessThanOrEqual(10000);
  });
});

describe('infra/main.bicepparam', () => {
  it('sets only parameters main.bicep declares, to its defaults, within their bounds', () => {
    expect(paramFileValues.size).toBeGreaterThan(5);
    for (const [name, value] of paramFileValues) {
      const declared = mainParams.get(name);
      expect({ name, declared: declared !== undefined }).toEqual({ name, declared: true });
      if (!/^-?\d+$/.test(value)) continue;
      // The file's header promises that each of its values is also main.bicep's default.
      expect({ name, value }).toEqual({ name, value: declared?.defaultValue });
      const min = intBound(main, name, 'minValue');
      const max = intBound(main, name, 'maxValue');
      expect({ name, inBounds: (min === undefined || Number(value) >= min) && (max === undefined || Number(value) <= max) }).toEqual({
        name,
        inBounds: true,
      });
    }
  });
});
