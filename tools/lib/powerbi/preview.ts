/**
 * The report preview: evaluates each visual of the PBIR report (fields, aggregations, sort, slicer
 * selections, page filters) over rows read from the OData feed, and draws it as positioned HTML
 * boxes, so the picture follows the report definition. The three measures are evaluated by a
 * JavaScript equivalent of their DAX; a measure without one fails the preview.
 */
import { type FieldRef, type Visual } from './report';

export interface FeedRow {
  readonly [column: string]: string | number | null;
}

export interface PreviewData {
  readonly topItems: readonly FeedRow[];
  readonly locations: readonly FeedRow[];
  /** Where the rows came from, for the banner. */
  readonly source: string;
}

export type Value = string | number | null;
export type Row = (field: FieldRef) => Value;

/** JavaScript twins of the model's DAX measures (tools/lib/powerbi checks them against the TMDL names). */
export const MEASURES: Record<string, (rows: readonly Row[]) => Value> = {
  'Total detections': (rows) => sum(rows.map((row) => row(col('TopItems', 'item_count')))),
  'Top item share': (rows) => {
    const total = sum(rows.map((row) => row(col('TopItems', 'item_count'))));
    const top = sum(rows.filter((row) => row(col('TopItems', 'item_rank')) === 1).map((row) => row(col('TopItems', 'item_count'))));
    return total === 0 ? null : top / total;
  },
  'Last update': (rows) => max(rows.map((row) => row(col('TopItems', 'updated_at')))),
};

export const PALETTE = [
  '#118DFF',
  '#12239E',
  '#E66C37',
  '#6B007B',
  '#E044A7',
  '#744EC2',
  '#D9B300',
  '#D64550',
  '#197278',
  '#1AAB40',
  '#15C6F4',
  '#4092FF',
  '#FFA058',
  '#BE5DC9',
  '#F472D0',
  '#B5A1FF',
  '#C4A200',
  '#FF8080',
  '#00DBBC',
  '#5BD667',
];

function col(table: string, name: string): FieldRef {
  return { kind: 'column', table, name };
}

function sum(values: readonly Value[]): number {
  return values.reduce<number>((total, value) => total + (typeof value === 'number' ? value : Number(value ?? 0)), 0);
}

function max(values: readonly Value[]): Value {
  return values
    .filter((value) => value !== null)
    .reduce<Value>((best, value) => (best === null || (value !== null && value > best) ? value : best), null);
}

function min(values: readonly Value[]): Value {
  return values
    .filter((value) => value !== null)
    .reduce<Value>((best, value) => (best === null || (value !== null && value < best) ? value : best), null);
}

export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The feed's rows as field readers: TopItems columns directly, Locations columns through the oid relationship. */
export function rowReaders(data: PreviewData): Row[] {
  const locations = new Map(data.locations.map((location) => [String(location['geographical_location_oid']), location]));
  return data.topItems.map((item) => (field: FieldRef) => {
    if (field.table === 'TopItems') return item[field.name] ?? null;
    if (field.table === 'Locations') return locations.get(String(item['geographical_location_oid']))?.[field.name] ?? null;
    throw new Error(`unknown table ${field.table}`);
  });
}

/** A literal of a PBIR filter ('text', 12L, …) as a value. */
export function literal(text: string): Value {
  if (text.startsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text === 'null') return null;
  return Number(text.replace(/[LDM]$/, ''));
}

export function evaluate(field: FieldRef, rows: readonly Row[]): Value {
  if (field.kind === 'measure') {
    const measure = MEASURES[field.name];
    if (!measure) throw new Error(`the preview has no evaluation of the measure ${field.name}`);
    return measure(rows);
  }
  const values = rows.map((row) => row(field));
  switch (field.aggregation) {
    case 0:
      return sum(values);
    case 2:
      return values.filter((value) => value !== null).length;
    case 3:
      return min(values);
    case 4:
      return max(values);
    default:
      return values[0] ?? null;
  }
}

/** Rows grouped by the visual's column fields, each group with every projection and sort field evaluated. */
export function groups(visual: Visual, rows: readonly Row[]): { key: Value[]; values: Map<string, Value> }[] {
  const keys = visual.projections.filter((p) => p.field.kind === 'column').map((p) => p.field);
  const fields = [...visual.projections.map((p) => p.field), ...visual.sort.map((s) => s.field)];
  const buckets = new Map<string, Row[]>();
  for (const row of rows) {
    const key = JSON.stringify(keys.map((field) => row(field)));
    buckets.set(key, [...(buckets.get(key) ?? []), row]);
  }
  const out = [...buckets.entries()].map(([key, members]) => ({
    key: JSON.parse(key) as Value[],
    values: new Map(fields.map((field) => [JSON.stringify(field), evaluate(field, members)])),
  }));
  const compare = (a: Value, b: Value): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  return out.sort((a, b) => {
    for (const { field, direction } of visual.sort) {
      const order = compare(a.values.get(JSON.stringify(field))!, b.values.get(JSON.stringify(field))!);
      if (order !== 0) return direction === 'Ascending' ? order : -order;
    }
    return 0;
  });
}

export function format(value: Value, field: FieldRef): string {
  if (value === null) return '(Blank)';
  if (field.name === 'Top item share' && typeof value === 'number') return `${(value * 100).toFixed(1)}%`;
  if (typeof value === 'number') return value.toLocaleString('en-US');
  // Edm.DateTimeOffset text: shown as the model's UTC date/time (yyyy-mm-dd hh:nn[:ss]).
  if (/^\d{4}-\d\d-\d\dT/.test(value))
    return field.name === 'window_start' ? value.slice(0, 16).replace('T', ' ') : value.slice(0, 19).replace('T', ' ');
  return value;
}
