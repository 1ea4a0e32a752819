import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { infraDir, modules, readBicep, resourceBodies } from './bicepText';

/**
 * `azd up` reads azure.yaml: it is validated against azd's published schema (vendored with its
 * licence in test/fixtures/schemas/azd), and the Bicep carries the names and tags azd looks for.
 */
const ROOT = path.resolve(__dirname, '../..');
const schemaDir = path.join(ROOT, 'test/fixtures/schemas/azd');
const azureYaml = parse(readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8')) as Record<string, unknown>;

function validator() {
  const schema = JSON.parse(readFileSync(path.join(schemaDir, 'azure.yaml.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // The schema refers by URL to extension schemas of AI hosts this project does not use.
  for (const url of JSON.stringify(schema).match(/https:\/\/raw\.githubusercontent\.com\/[^"]*\/extensions\/[^"]*\.json/g) ?? []) {
    if (!ajv.getSchema(url)) ajv.addSchema({}, url);
  }
  return ajv.compile(schema);
}

describe('azure.yaml', () => {
  const validate = validator();

  it('is valid against the azd schema', () => {
    const valid = validate(azureYaml);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('is checked for real: the schema rejects a service without a host and a bad name', () => {
    expect(validate({ name: 'Camera Top Items', services: { api: { project: '.' } } })).toBe(false);
    expect((validate.errors ?? []).map((error) => error.instancePath)).toEqual(expect.arrayContaining(['/name']));
  });

  it('provisions infra/main.bicep and deploys the staged package as the function service "api"', () => {
    expect(azureYaml['infra']).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    const services = azureYaml['services'] as Record<string, Record<string, string>>;
    expect(Object.keys(services)).toEqual(['api']);
    expect(services['api']).toMatchObject({ host: 'function', project: '.', dist: '.package/app' });
    // azd runs the `package` npm script before it zips `dist`.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['package']).toBe('tsx tools/package.ts');
    expect(readFileSync(path.join(ROOT, 'tools/package.ts'), 'utf8')).toContain("'.package'");
  });
});

describe('the Bicep, as azd expects it', () => {
  const main = readBicep(path.join(infraDir, 'main.bicep'));

  it('tags every resource with azd-env-name from the environmentName parameter azd passes', () => {
    expect(main.source).toMatch(/^param environmentName string = ''$/m);
    expect(main.source).toContain("var resourceTags = union(tags, empty(environmentName) ? {} : { 'azd-env-name': environmentName })");
    // No module or resource gets the bare `tags` parameter any more.
    expect(main.source).not.toMatch(/^\s+tags: tags$/m);
    const withTags = modules(main).filter((module) => module.params.some((param) => param.key === 'tags'));
    expect(withTags.length).toBeGreaterThan(5);
    for (const module of withTags) expect(module.params.find((param) => param.key === 'tags')?.value).toBe('resourceTags');
  });

  it('tags the Function app, and only it, with azd-service-name = api', () => {
    const functionApp = modules(main).find((module) => module.symbol === 'functionApp');
    expect(functionApp?.params.find((param) => param.key === 'appTags')?.value).toMatch(/'azd-service-name': 'api'/);
    const appModule = readBicep(path.join(infraDir, 'modules/function-app.bicep'));
    const sites = resourceBodies(appModule, 'Microsoft.Web/sites@2024-04-01');
    const plans = resourceBodies(appModule, 'Microsoft.Web/serverfarms@2024-04-01');
    expect([...sites.values()][0]).toContain('tags: union(tags, appTags)');
    expect([...plans.values()][0]).toMatch(/tags: tags\n/);
    expect(readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8')).toMatch(/^ {2}api:$/m);
  });

  it('reads the azd environment in main.bicepparam, which azd prefers to a parameters file', () => {
    const bicepparam = readFileSync(path.join(infraDir, 'main.bicepparam'), 'utf8');
    expect(bicepparam).toContain("param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', '')");
    expect(bicepparam).toMatch(
      /param principalId = readEnvironmentVariable\('PRINCIPAL_ID', readEnvironmentVariable\('AZURE_PRINCIPAL_ID', ''\)\)/,
    );
  });
});
