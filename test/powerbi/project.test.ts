/**
 * The Power BI project in `powerbi/`: every JSON file valid against the Microsoft schema it names
 * (vendored under test/fixtures/schemas/powerbi), every field a visual or filter binds present in the
 * model, the model's tables and columns those of the OData $metadata, and the model's M the very M
 * of the `powerbi/*.pq` files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { buildCsdl } from '../../shared/odata/csdl';
import { SERVICE_MODEL } from '../../shared/odata/model';
import { allFieldRefs, type FieldRef, MODEL_DIR, POWERBI_DIR, readReport, REPORT_DIR } from '../../tools/lib/powerbi/report';
import { readModel } from '../../tools/lib/powerbi/tmdl';

const SCHEMA_ROOT = join(__dirname, '..', 'fixtures', 'schemas', 'powerbi');
const SCHEMA_URL = 'https://developer.microsoft.com/json-schemas/';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const projectFiles = [join(POWERBI_DIR, 'CameraTopItems.pbip'), ...filesUnder(REPORT_DIR), ...filesUnder(MODEL_DIR)];
const jsonFiles = projectFiles.filter((path) => /(\.json|\.pbir|\.pbism|\.pbip|\.platform)$/.test(path));
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('Power BI project: JSON schemas', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const path of filesUnder(join(SCHEMA_ROOT, 'fabric')).filter((file) => file.endsWith('.json'))) {
    const schema = readJson(path);
    const url = SCHEMA_URL + relative(SCHEMA_ROOT, path).split('\\').join('/');
    // Each schema registers under the URL of its file, the URL `$schema` and relative `$ref`s use:
    // the `schema-embedded.json` files declare `schema.embedded.json` as their $id, a name nothing refers to.
    ajv.addSchema({ ...schema, $id: url });
  }

  it('has the report, the model and their definition files', () => {
    const names = jsonFiles.map((path) => relative(POWERBI_DIR, path).split('\\').join('/'));
    expect(names).toEqual(
      expect.arrayContaining([
        'CameraTopItems.pbip',
        'CameraTopItems.Report/definition.pbir',
        'CameraTopItems.Report/definition/report.json',
        'CameraTopItems.Report/definition/pages/pages.json',
        'CameraTopItems.SemanticModel/definition.pbism',
      ]),
    );
  });

  it.each(jsonFiles.map((path) => [relative(POWERBI_DIR, path), path]))('%s is valid against the schema it names', (_name, path) => {
    const json = readJson(path);
    const url = json['$schema'];
    expect(typeof url).toBe('string');
    const validate: ValidateFunction | undefined = ajv.getSchema(url as string);
    if (!validate) throw new Error(`no vendored schema for ${String(url)}`);
    const valid = validate(json);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('points the report at the semantic model beside it', () => {
    const pbir = readJson(join(REPORT_DIR, 'definition.pbir')) as { datasetReference: { byPath: { path: string } } };
    expect(pbir.datasetReference.byPath.path).toBe('../CameraTopItems.SemanticModel');
  });
});

describe('Power BI project: model against the feed', () => {
  const model = readModel();
  const table = (name: string) => model.tables.find((t) => t.name === name);

  // The CSDL as the feed serves it at /api/odata/$metadata, read back as XML.
  const csdl = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['EntityType', 'EntitySet', 'Property'].includes(name),
  }).parse(buildCsdl(SERVICE_MODEL)) as {
    'edmx:Edmx': {
      'edmx:DataServices': {
        Schema: {
          Namespace: string;
          EntityType: { Name: string; Property: { Name: string; Type: string }[] }[];
          EntityContainer: { EntitySet: { Name: string; EntityType: string }[] };
        };
      };
    };
  };
  const schema = csdl['edmx:Edmx']['edmx:DataServices'].Schema;
  const declared = new Map(
    schema.EntityContainer.EntitySet.map((set) => {
      const type = schema.EntityType.find((t) => `${schema.Namespace}.${t.Name}` === set.EntityType)!;
      return [set.Name, new Map(type.Property.map((p) => [p.Name, p.Type]))];
    }),
  );
  // What an Edm type becomes in the model: Int64 ids stay 64-bit integers, offsets become UTC date/times.
  const MODEL_TYPE: Record<string, string> = {
    'Edm.String': 'string',
    'Edm.Int32': 'int64',
    'Edm.Int64': 'int64',
    'Edm.DateTimeOffset': 'dateTime',
  };

  it('has the tables TopItems and Locations, related on the location oid', () => {
    expect(model.tables.map((t) => t.name).sort()).toEqual(['Locations', 'TopItems']);
    expect(model.relationships).toEqual([{ from: 'TopItems.geographical_location_oid', to: 'Locations.geographical_location_oid' }]);
  });

  it.each(['TopItems', 'Locations'])('names in %s only what $metadata declares, with matching types', (name) => {
    const properties = declared.get(name);
    expect(properties).toBeDefined();
    for (const column of table(name)!.columns) {
      expect([column.name, column.sourceColumn]).toEqual([column.name, column.name]);
      const edm = properties!.get(column.name);
      if (!edm) throw new Error(`${name}[${column.name}] is not in $metadata`);
      expect([column.name, column.dataType]).toEqual([column.name, MODEL_TYPE[edm]]);
    }
  });

  it('refers, in measures and relationships, only to columns that $metadata declares', () => {
    const definition = join(MODEL_DIR, 'definition');
    const text = filesUnder(definition)
      .filter((path) => path.endsWith('.tmdl'))
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
    const references = [
      ...[...text.matchAll(/\b(\w+)\[(\w+)\]/g)].map((m) => [m[1]!, m[2]!]),
      ...[...text.matchAll(/^\s*(?:fromColumn|toColumn): (\w+)\.(\w+)$/gm)].map((m) => [m[1]!, m[2]!]),
    ];
    expect(references.length).toBeGreaterThanOrEqual(5);
    const undeclared = references.filter(([set, property]) => !declared.get(set!)?.has(property!));
    expect(undeclared).toEqual([]);
  });

  it('keeps the 64-bit ids and counts as 64-bit integers and window_start as a date/time', () => {
    const type = (t: string, c: string) => table(t)!.columns.find((column) => column.name === c)?.dataType;
    expect(type('TopItems', 'geographical_location_oid')).toBe('int64');
    expect(type('Locations', 'geographical_location_oid')).toBe('int64');
    expect(type('TopItems', 'item_count')).toBe('int64');
    expect(type('TopItems', 'window_start')).toBe('dateTime');
  });

  it('reads each table from its entity set of the feed, through the ServiceRoot parameter', () => {
    for (const t of model.tables) {
      expect(t.partitions).toHaveLength(1);
      expect(t.partitions[0]!.mode).toBe('import');
      expect(t.partitions[0]!.source).toContain('OData.Feed(ServiceRoot,');
      expect(t.partitions[0]!.source).toContain(`Source{[Name = "${t.name}", Signature = "table"]}`);
    }
    expect(model.expressions.map((e) => e.name)).toEqual(['ServiceRoot']);
    expect(model.expressions[0]!.expression).toContain('IsParameterQuery = true');
  });

  it('has the measures the report promises', () => {
    expect(table('TopItems')!.measures.map((m) => m.name)).toEqual(['Total detections', 'Top item share', 'Last update']);
  });
});

describe('Power BI project: the M is the M of powerbi/*.pq', () => {
  const model = readModel();
  const pq = (name: string): string => readFileSync(join(POWERBI_DIR, name), 'utf8').replace(/\r\n/g, '\n').trimEnd();

  it.each([
    ['TopItems', 'odata-TopItems.pq'],
    ['Locations', 'odata-Locations.pq'],
  ])('the %s partition is %s, word for word', (name, file) => {
    expect(model.tables.find((t) => t.name === name)!.partitions[0]!.source).toBe(pq(file));
  });

  it('the ServiceRoot parameter is ServiceRoot.pq', () => {
    expect(model.expressions[0]!.expression).toBe(pq('ServiceRoot.pq'));
  });
});

describe('Power BI project: report fields', () => {
  const model = readModel();
  const pages = readReport();

  const exists = (field: FieldRef): boolean => {
    const t = model.tables.find((candidate) => candidate.name === field.table);
    if (!t) return false;
    return field.kind === 'measure' ? t.measures.some((m) => m.name === field.name) : t.columns.some((c) => c.name === field.name);
  };

  const boundFields = (): { where: string; field: FieldRef }[] => {
    const pagesDir = join(REPORT_DIR, 'definition', 'pages');
    return filesUnder(pagesDir)
      .filter((path) => path.endsWith('.json'))
      .flatMap((path) => allFieldRefs(readJson(path)).map((field) => ({ where: relative(pagesDir, path), field })));
  };

  it('binds fields in every visual and filter', () => {
    expect(boundFields().length).toBeGreaterThan(20);
  });

  it('binds only fields that exist in the model', () => {
    const missing = boundFields().filter(({ field }) => !exists(field));
    expect(missing).toEqual([]);
  });

  it('has page 1 with the slicers, the bar chart sorted by rank, the top rows table and the cards', () => {
    const overview = pages[0]!;
    const byType = (type: string) => overview.visuals.filter((v) => v.type === type);
    const fields = (type: string) => byType(type).flatMap((v) => v.projections.map((p) => `${p.role}:${p.field.table}.${p.field.name}`));
    expect(fields('slicer').sort()).toEqual(['Values:Locations.geographical_location', 'Values:TopItems.window']);
    expect(byType('slicer').find((v) => v.projections[0]!.field.name === 'window')!.preset).toEqual(["'all'"]);
    expect(fields('barChart')).toEqual(expect.arrayContaining(['Category:TopItems.item_name', 'Y:TopItems.item_count']));
    expect(byType('barChart')[0]!.sort).toEqual([
      { field: { kind: 'aggregation', table: 'TopItems', name: 'item_rank', aggregation: 3 }, direction: 'Ascending' },
    ]);
    expect(fields('tableEx')).toEqual(expect.arrayContaining(['Values:TopItems.geographical_location', 'Values:TopItems.item_rank']));
    expect(fields('card').sort()).toEqual([
      'Values:TopItems.Last update',
      'Values:TopItems.Top item share',
      'Values:TopItems.Total detections',
    ]);
  });

  it('has page 2 with the hourly trend of one location', () => {
    const trend = pages[1]!;
    expect(trend.excludes).toEqual([{ field: { kind: 'column', table: 'TopItems', name: 'window' }, values: ["'all'"] }]);
    const line = trend.visuals.find((v) => v.type === 'lineChart')!;
    expect(line.projections.map((p) => `${p.role}:${p.field.name}`)).toEqual(['Category:window_start', 'Y:item_count', 'Series:item_name']);
    expect(trend.visuals.find((v) => v.type === 'slicer')!.singleSelect).toBe(true);
  });

  it('keeps what Power BI Desktop writes locally out of git', () => {
    const ignore = readFileSync(join(POWERBI_DIR, '.gitignore'), 'utf8');
    expect(ignore).toContain('.pbi/localSettings.json');
    expect(ignore).toContain('.pbi/cache.abf');
  });
});
