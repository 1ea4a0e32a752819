/**
 * A small reader for the TMDL files of `powerbi/CameraTopItems.SemanticModel`: the tables with their
 * columns (data type, source column), measures and M partitions, the named expressions and the
 * relationships. TMDL is indentation-structured (tabs); multi-line expressions sit one level deeper
 * than the property that holds them. Enough for the checks here, not a general TMDL parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_DIR } from './report';

export interface TmdlColumn {
  readonly name: string;
  readonly dataType: string;
  readonly sourceColumn: string | undefined;
}

export interface TmdlTable {
  readonly name: string;
  readonly columns: readonly TmdlColumn[];
  readonly measures: readonly { name: string; expression: string }[];
  /** The M of each partition, with the TMDL indentation removed. */
  readonly partitions: readonly { name: string; mode: string; source: string }[];
}

export interface TmdlModel {
  readonly tables: readonly TmdlTable[];
  readonly expressions: readonly { name: string; expression: string }[];
  readonly relationships: readonly { from: string; to: string }[];
}

/** `'Quoted name'` or `name`, as TMDL writes object names. */
function unquote(name: string): string {
  const trimmed = name.trim();
  return trimmed.startsWith("'") ? trimmed.slice(1, -1).replace(/''/g, "'") : trimmed;
}

const depth = (line: string): number => /^\t*/.exec(line)![0].length;

/** Lines deeper than `level` that follow index `from`, with `level + 1` tabs removed. */
function block(lines: readonly string[], from: number, level: number): string[] {
  const out: string[] = [];
  for (let i = from + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() !== '' && depth(line) <= level) break;
    out.push(line.slice(level + 1));
  }
  while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
  return out;
}

function property(lines: readonly string[], name: string): string | undefined {
  const prefix = `${name}:`;
  return lines
    .map((line) => line.trim())
    .find((line) => line.startsWith(prefix))
    ?.slice(prefix.length)
    .trim();
}

export function parseTable(text: string): TmdlTable {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const head = lines.find((line) => line.startsWith('table '));
  if (!head) throw new Error('no table declaration');
  const columns: TmdlColumn[] = [];
  const measures: { name: string; expression: string }[] = [];
  const partitions: { name: string; mode: string; source: string }[] = [];
  lines.forEach((line, index) => {
    if (depth(line) !== 1) return;
    const body = block(lines, index, 1);
    const column = /^\tcolumn (.+)$/.exec(line);
    if (column)
      columns.push({ name: unquote(column[1]!), dataType: property(body, 'dataType') ?? '', sourceColumn: property(body, 'sourceColumn') });
    const measure = /^\tmeasure ('(?:[^']|'')*'|[^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (measure) measures.push({ name: unquote(measure[1]!), expression: measure[2]! });
    const partition = /^\tpartition (.+?) = m$/.exec(line);
    if (partition) {
      const sourceAt = body.findIndex((bodyLine) => /^source =\s*$/.test(bodyLine));
      if (sourceAt < 0) throw new Error(`partition ${partition[1]!} has no multi-line source`);
      partitions.push({ name: unquote(partition[1]!), mode: property(body, 'mode') ?? '', source: block(body, sourceAt, 0).join('\n') });
    }
  });
  return { name: unquote(head.slice('table '.length)), columns, measures, partitions };
}

export function parseExpressions(text: string): { name: string; expression: string }[] {
  return [...text.matchAll(/^expression ('(?:[^']|'')*'|[^=\s]+)\s*=[ \t]*(.*)$/gm)].map((m) => ({
    name: unquote(m[1]!),
    expression: m[2]!,
  }));
}

export function parseRelationships(text: string): { from: string; to: string }[] {
  return text
    .split(/^relationship /m)
    .slice(1)
    .map((chunk) => ({ from: property(chunk.split('\n'), 'fromColumn') ?? '', to: property(chunk.split('\n'), 'toColumn') ?? '' }));
}

export function readModel(modelDir = MODEL_DIR): TmdlModel {
  const definition = join(modelDir, 'definition');
  const read = (name: string): string => readFileSync(join(definition, name), 'utf8');
  const tableFiles = readdirSync(join(definition, 'tables')).filter((name) => name.endsWith('.tmdl'));
  return {
    tables: tableFiles.map((name) => parseTable(read(join('tables', name)))),
    expressions: parseExpressions(read('expressions.tmdl')),
    relationships: parseRelationships(read('relationships.tmdl')),
  };
}
