/**
 * Reads the Power BI project in `powerbi/`: the PBIR report (pages, visuals, the fields they bind,
 * sorts and filters) and the TMDL model (tables, columns, measures, M partitions, expressions).
 * Only what the tests and the preview need; the files themselves follow Microsoft's schemas.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const POWERBI_DIR = join(__dirname, '..', '..', '..', 'powerbi');
export const REPORT_DIR = join(POWERBI_DIR, 'CameraTopItems.Report');
export const MODEL_DIR = join(POWERBI_DIR, 'CameraTopItems.SemanticModel');

/** A field as a visual binds it: a column, a measure, or an aggregation of a column. */
export interface FieldRef {
  readonly kind: 'column' | 'measure' | 'aggregation';
  readonly table: string;
  readonly name: string;
  /** For aggregations: 0 = Sum, 1 = Avg, 2 = Count, 3 = Min, 4 = Max, … */
  readonly aggregation?: number;
}

export interface Projection {
  readonly role: string;
  readonly field: FieldRef;
  readonly label: string;
}

export interface Visual {
  readonly name: string;
  readonly type: string;
  readonly title: string;
  readonly position: { x: number; y: number; z: number; width: number; height: number };
  readonly projections: readonly Projection[];
  readonly sort: readonly { field: FieldRef; direction: 'Ascending' | 'Descending' }[];
  /** A slicer's saved selection (literal values, e.g. `'all'`), if any. */
  readonly preset: readonly string[];
  readonly singleSelect: boolean;
  /** A slicer that always keeps one value selected (Power BI selects the first one). */
  readonly forceSelection: boolean;
}

export interface Page {
  readonly name: string;
  readonly displayName: string;
  readonly width: number;
  readonly height: number;
  /** Page filters as (field, excluded literal values). */
  readonly excludes: readonly { field: FieldRef; values: readonly string[] }[];
  readonly visuals: readonly Visual[];
}

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

/** A semantic-query field expression (Column / Measure / Aggregation) as a FieldRef. */
export function fieldRef(expr: unknown): FieldRef {
  const e = expr as Json;
  if (e['Aggregation']) {
    const agg = e['Aggregation'] as { Expression: unknown; Function: number };
    return { ...fieldRef(agg.Expression), kind: 'aggregation', aggregation: agg.Function };
  }
  const kind = e['Column'] ? 'column' : e['Measure'] ? 'measure' : undefined;
  if (!kind) throw new Error(`unsupported field expression: ${JSON.stringify(expr)}`);
  const ref = (kind === 'column' ? e['Column'] : e['Measure']) as { Expression: { SourceRef: { Entity?: string } }; Property: string };
  const table = ref.Expression.SourceRef.Entity;
  if (!table) throw new Error(`field without an entity: ${JSON.stringify(expr)}`);
  return { kind, table, name: ref.Property };
}

/** Every Column/Measure/Aggregation anywhere in a JSON value, with Source aliases resolved by `From`. */
export function allFieldRefs(value: unknown, aliases: Record<string, string> = {}): FieldRef[] {
  if (Array.isArray(value)) return value.flatMap((item) => allFieldRefs(item, aliases));
  if (!value || typeof value !== 'object') return [];
  const object = value as Json;
  const from = object['From'] as { Name: string; Entity: string }[] | undefined;
  const scope = from ? { ...aliases, ...Object.fromEntries(from.map((f) => [f.Name, f.Entity])) } : aliases;
  for (const key of ['Column', 'Measure'] as const) {
    const ref = object[key] as { Expression?: { SourceRef?: { Entity?: string; Source?: string } }; Property?: string } | undefined;
    const source = ref?.Expression?.SourceRef;
    if (ref?.Property && source) {
      const table = source.Entity ?? scope[source.Source ?? ''];
      if (!table) throw new Error(`unknown source alias in ${JSON.stringify(value)}`);
      return [{ kind: key === 'Column' ? 'column' : 'measure', table, name: ref.Property }];
    }
  }
  return Object.values(object).flatMap((item) => allFieldRefs(item, scope));
}

function literalValues(filter: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const literal = (value as Json)['Literal'] as { Value: string } | undefined;
      if (literal) found.push(literal.Value);
      else Object.values(value).forEach(walk);
    }
  };
  walk(filter);
  return found;
}

function literalOf(container: unknown): string | undefined {
  return (container as { expr?: { Literal?: { Value: string } } } | undefined)?.expr?.Literal?.Value;
}

function readVisual(path: string): Visual {
  const json = readJson(path);
  const visual = json['visual'] as Json;
  const query = visual['query'] as { queryState: Record<string, { projections: Json[] }>; sortDefinition?: { sort: Json[] } };
  const projections = Object.entries(query.queryState).flatMap(([role, state]) =>
    state.projections.map((p) => ({
      role,
      field: fieldRef(p['field']),
      label: (p['displayName'] as string | undefined) ?? (p['nativeQueryRef'] as string),
    })),
  );
  const objects = (visual['objects'] ?? {}) as Record<string, { properties: Record<string, unknown> }[]>;
  const containerObjects = (visual['visualContainerObjects'] ?? {}) as Record<string, { properties: Json }[]>;
  const titleText = literalOf(containerObjects['title']?.[0]?.properties['text']);
  const preset = objects['general']?.[0]?.properties['filter'];
  return {
    name: json['name'] as string,
    type: visual['visualType'] as string,
    title: titleText ? titleText.slice(1, -1) : '',
    position: json['position'] as Visual['position'],
    projections,
    sort: (query.sortDefinition?.sort ?? []).map((s) => ({
      field: fieldRef(s['field']),
      direction: s['direction'] as 'Ascending' | 'Descending',
    })),
    preset: preset ? literalValues(preset) : [],
    singleSelect: literalOf(objects['selection']?.[0]?.properties['singleSelect']) === 'true',
    forceSelection: literalOf(objects['selection']?.[0]?.properties['strictSingleSelect']) === 'true',
  };
}

function readPage(dir: string): Page {
  const json = readJson(join(dir, 'page.json'));
  const filters = ((json['filterConfig'] as { filters?: Json[] } | undefined)?.filters ?? []).map((f) => ({
    field: fieldRef(f['field']),
    negated: JSON.stringify(f['filter']).includes('"Not"'),
    values: literalValues(f['filter']),
  }));
  const visualsDir = join(dir, 'visuals');
  return {
    name: json['name'] as string,
    displayName: json['displayName'] as string,
    width: json['width'] as number,
    height: json['height'] as number,
    // Only exclusion filters (Not In) are used, and supported, here.
    excludes: filters.map((f) => {
      if (!f.negated) throw new Error(`page ${String(json['name'])}: only "Not In" page filters are supported`);
      return { field: f.field, values: f.values };
    }),
    visuals: readdirSync(visualsDir)
      .map((name) => readVisual(join(visualsDir, name, 'visual.json')))
      .sort((a, b) => a.position.z - b.position.z),
  };
}

/** The report's pages in their page order. */
export function readReport(reportDir = REPORT_DIR): Page[] {
  const pagesDir = join(reportDir, 'definition', 'pages');
  const order = (readJson(join(pagesDir, 'pages.json'))['pageOrder'] as string[] | undefined) ?? [];
  return order.map((name) => readPage(join(pagesDir, name)));
}
