import { badRequest, notImplemented } from './errors';
import { type FilterExpr, parseFilter } from './filter';
import { type EntityTypeDef, findProperty, type ODataValue } from './model';

export interface OrderItem {
  readonly property: string;
  readonly descending: boolean;
}

/** Where the previous page ended (the sort values of its last row) and how many rows $top still allows. */
export interface SkipToken {
  readonly after: readonly ODataValue[];
  readonly remaining: number | null;
}

export interface QueryOptions {
  readonly filter?: FilterExpr;
  /** The requested $orderby; the entity type's natural order is appended when sorting. */
  readonly orderBy: readonly OrderItem[];
  readonly top?: number;
  readonly skip?: number;
  /** Selected properties in model order; undefined selects all. */
  readonly select?: readonly string[];
  readonly count: boolean;
  readonly skipToken?: SkipToken;
  /** The raw $filter, $orderby, $select and $count, carried into every next link. */
  readonly carried: readonly (readonly [string, string])[];
}

const SUPPORTED = new Set(['$filter', '$orderby', '$top', '$skip', '$select', '$count', '$skiptoken', '$format']);
const NOT_IMPLEMENTED = new Set(['$expand', '$search', '$apply', '$compute', '$levels', '$index', '$schemaversion', '$deltatoken', '$id']);
const CARRIED = ['$filter', '$orderby', '$select', '$count', '$format'];
const MAX_INTEGER_OPTION = 1_000_000_000;

/**
 * Reads the system query options of a collection request. Custom options without a `$` (such as
 * the function key in `code`) are left alone; an unknown or repeated system option is a 400.
 */
export function parseQueryOptions(params: URLSearchParams, type: EntityTypeDef): QueryOptions {
  const options = systemOptions(params);
  const filterText = options.get('$filter');
  const top = integerOption(options, '$top');
  const skip = integerOption(options, '$skip');
  const tokenText = options.get('$skiptoken');
  return {
    ...(filterText !== undefined ? { filter: parseFilter(filterText, type) } : {}),
    orderBy: parseOrderBy(options.get('$orderby'), type),
    ...(top !== undefined ? { top } : {}),
    ...(skip !== undefined ? { skip } : {}),
    ...selectOption(options.get('$select'), type),
    count: booleanOption(options, '$count'),
    ...(tokenText !== undefined ? { skipToken: decodeSkipToken(tokenText) } : {}),
    carried: CARRIED.flatMap((name) => {
      const value = options.get(name);
      return value === undefined ? [] : [[name, value] as const];
    }),
  };
}

/** The system query options by lower-case name; OData 4.01 lets clients vary the case. */
export function systemOptions(params: URLSearchParams): Map<string, string> {
  const options = new Map<string, string>();
  for (const [rawName, value] of params) {
    if (!rawName.startsWith('$')) continue;
    const name = rawName.toLowerCase();
    if (NOT_IMPLEMENTED.has(name)) throw notImplemented(`${rawName} is not supported by this service`);
    if (!SUPPORTED.has(name))
      throw badRequest(`${rawName} is not a system query option this service knows; use ${[...SUPPORTED].join(', ')}`);
    if (options.has(name)) throw badRequest(`${rawName} is given more than once`);
    options.set(name, value);
  }
  return options;
}

function integerOption(options: Map<string, string>, name: string): number | undefined {
  const text = options.get(name);
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_INTEGER_OPTION)
    throw badRequest(`${name} must be a whole number from 0 to ${MAX_INTEGER_OPTION}, got '${text}'`);
  return Number(text);
}

function booleanOption(options: Map<string, string>, name: string): boolean {
  const text = options.get(name);
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw badRequest(`${name} must be true or false, got '${text}'`);
}

function parseOrderBy(text: string | undefined, type: EntityTypeDef): OrderItem[] {
  if (text === undefined) return [];
  return text.split(',').map((part) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(part);
    if (!match) throw badRequest(`$orderby: '${part.trim()}' is not a property name optionally followed by asc or desc`);
    const name = match[1] as string;
    if (!findProperty(type, name)) throw badRequest(`$orderby: ${name} is not a property of ${type.name}`);
    return { property: name, descending: match[2] === 'desc' };
  });
}

function selectOption(text: string | undefined, type: EntityTypeDef): { select?: readonly string[] } {
  if (text === undefined) return {};
  const names = text.split(',').map((name) => name.trim());
  if (names.includes('*')) return {};
  for (const name of names) {
    if (name === '') throw badRequest('$select: an empty property name');
    if (!findProperty(type, name)) throw badRequest(`$select: ${name} is not a property of ${type.name}`);
  }
  const wanted = new Set(names);
  return { select: type.properties.filter((property) => wanted.has(property.name)).map((property) => property.name) };
}

/** Opaque to clients: base64url of the JSON position, so it survives any URL handling. */
export function encodeSkipToken(token: SkipToken): string {
  return Buffer.from(JSON.stringify([token.after, token.remaining]), 'utf8').toString('base64url');
}

export function decodeSkipToken(text: string): SkipToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw badRequest('$skiptoken is not one this service issued');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw badRequest('$skiptoken is not one this service issued');
  const [after, remaining] = parsed as unknown[];
  const valuesOk =
    Array.isArray(after) && after.every((value) => value === null || typeof value === 'string' || Number.isSafeInteger(value));
  const remainingOk = remaining === null || (Number.isSafeInteger(remaining) && (remaining as number) > 0);
  if (!valuesOk || !remainingOk) throw badRequest('$skiptoken is not one this service issued');
  return { after: after as ODataValue[], remaining: remaining as number | null };
}
