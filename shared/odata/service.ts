import { parseInt64 } from '../domain/ids';
import { buildCsdl } from './csdl';
import { badRequest, notFound, notImplemented, ODataError } from './errors';
import { constrainedValues, matches } from './filter';
import { type HeaderSource, jsonContentType, negotiateFormat, preferredPageSize, type ResponseFormat } from './format';
import { writeCollection, writeEntity } from './json';
import {
  type EntitySetDef,
  type EntityTypeDef,
  findEntitySet,
  findProperty,
  type ODataRow,
  type ODataValue,
  SERVICE_MODEL,
  type ServiceModel,
} from './model';
import { encodeSkipToken, type OrderItem, parseQueryOptions, type QueryOptions, type SkipToken, systemOptions } from './query';
import { compareValues, familyOf } from './values';

/**
 * The OData v4 service: resolves the resource path, applies the query options and writes the
 * answer. Pure apart from reading rows through `ODataDataSource`, so the Function app and the local
 * runtime serve exactly the same feed.
 */
export interface ODataRequest {
  readonly method: string;
  /** The absolute request URL; the service root and every link are derived from it. */
  readonly url: string;
  readonly headers: HeaderSource;
}

export interface ODataResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What a data source may use to read less: the only values a property can take in a wanted row. */
export interface RowQuery {
  values(property: string): readonly string[] | undefined;
}

export interface ODataDataSource {
  /** Every row of the set that could be wanted; the service still filters, orders and pages them. */
  rows(set: EntitySetDef, query: RowQuery): Promise<readonly ODataRow[]>;
}

export interface ServiceOptions {
  readonly model?: ServiceModel;
  /** Most rows in one page; `Prefer: odata.maxpagesize` can ask for fewer. */
  readonly maxPageSize?: number;
  /** The path segment that is the service root (`/api/odata/`). */
  readonly rootSegment?: string;
}

export const DEFAULT_MAX_PAGE_SIZE = 1000;

const COMMON_HEADERS = { 'OData-Version': '4.0', 'Cache-Control': 'no-store' };

export async function serveOData(request: ODataRequest, source: ODataDataSource, options: ServiceOptions = {}): Promise<ODataResponse> {
  try {
    return await route(request, source, {
      model: options.model ?? SERVICE_MODEL,
      maxPageSize: options.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE,
      rootSegment: options.rootSegment ?? 'odata',
    });
  } catch (error) {
    if (error instanceof ODataError) return errorResponse(error);
    throw error;
  }
}

export function errorResponse(error: ODataError): ODataResponse {
  const headers: Record<string, string> = { ...COMMON_HEADERS, 'Content-Type': 'application/json;odata.metadata=minimal' };
  if (error.status === 405) headers['Allow'] = 'GET, HEAD';
  return { status: error.status, headers, body: JSON.stringify({ error: { code: error.code, message: error.message } }) };
}

interface Context {
  readonly model: ServiceModel;
  readonly maxPageSize: number;
  readonly rootSegment: string;
}

async function route(request: ODataRequest, source: ODataDataSource, context: Context): Promise<ODataResponse> {
  // HEAD is answered as GET; the host sends the headers only.
  const method = request.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD')
    throw new ODataError(405, 'MethodNotAllowed', `${request.method} is not allowed: this feed is read-only, use GET`);
  const url = new URL(request.url);
  const { root, segments } = resolvePath(url, context.rootSegment);
  const formatOption = systemOptions(url.searchParams).get('$format');
  const [first = '', second, ...rest] = segments;
  if (first === '$metadata' && segments.length === 1) {
    if (formatOption !== undefined && !/^(xml|application\/xml)\b/i.test(formatOption.trim())) {
      throw new ODataError(406, 'NotAcceptable', `$metadata is available as CSDL XML only, not as ${formatOption}`);
    }
    return { status: 200, headers: { ...COMMON_HEADERS, 'Content-Type': 'application/xml' }, body: buildCsdl(context.model) };
  }
  const format = negotiateFormat(request.headers, formatOption);
  if (segments.length === 0) return json(serviceDocument(root, context.model, format), format);
  if (first === '$batch') throw notImplemented('$batch is not supported; send one GET per request');
  const target = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s.exec(first);
  const set = target ? findEntitySet(context.model, target[1] as string) : undefined;
  if (!target || !set)
    throw notFound(`no resource ${first}; the entity sets are ${context.model.entitySets.map((entitySet) => entitySet.name).join(', ')}`);
  if (rest.length > 0) throw notFound(`no resource ${segments.join('/')}`);
  const keyText = target[2];

  if (keyText !== undefined) {
    if (second !== undefined) throw notImplemented(`addressing ${second} of an entity is not supported; use $select`);
    return entityResponse(set, parseKey(set.type, keyText), url, root, source, format);
  }
  if (second === '$count') return countResponse(set, url, source);
  if (second !== undefined) throw notFound(`no resource ${segments.join('/')}`);
  return collectionResponse(request, set, url, root, source, format, context);
}

function resolvePath(url: URL, rootSegment: string): { root: string; segments: string[] } {
  const raw = url.pathname.split('/');
  const index = raw.indexOf(rootSegment);
  if (index < 0) throw notFound(`this is not an OData service URL; the service root ends in /${rootSegment}/`);
  const segments = raw
    .slice(index + 1)
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest(`the path segment ${segment} is not valid percent-encoding`);
      }
    });
  return { root: `${url.origin}${raw.slice(0, index + 1).join('/')}/`, segments };
}

function serviceDocument(root: string, model: ServiceModel, format: ResponseFormat): string {
  const sets = model.entitySets.map((set) => ({ name: set.name, kind: 'EntitySet', url: set.name }));
  return JSON.stringify(format.metadata === 'none' ? { value: sets } : { '@odata.context': `${root}$metadata`, value: sets });
}

async function collectionResponse(
  request: ODataRequest,
  set: EntitySetDef,
  url: URL,
  root: string,
  source: ODataDataSource,
  format: ResponseFormat,
  context: Context,
): Promise<ODataResponse> {
  const options = parseQueryOptions(url.searchParams, set.type);
  const rows = await source.rows(set, { values: (property) => constrainedValues(options.filter, property) });
  const order = totalOrder(set.type, options.orderBy);
  const sorted = rows.filter((row) => !options.filter || matches(options.filter, row)).sort(rowComparator(set.type, order));

  const preferred = preferredPageSize(request.headers);
  const pageSize = Math.min(preferred ?? context.maxPageSize, context.maxPageSize);
  const page = pageOf(sorted, options, set.type, order, pageSize);
  const nextLink = page.next ? nextLinkOf(root, set, url.searchParams, options, page.next) : undefined;
  const body = writeCollection(
    {
      context:
        format.metadata === 'none' ? undefined : `${root}$metadata#${set.name}${options.select ? `(${options.select.join(',')})` : ''}`,
      ...(options.count ? { count: sorted.length } : {}),
      rows: page.rows,
      type: set.type,
      select: options.select,
      ...(nextLink ? { nextLink } : {}),
    },
    format,
  );
  const response = json(body, format);
  if (preferred !== undefined) response.headers['Preference-Applied'] = `odata.maxpagesize=${pageSize}`;
  return response;
}

/** The requested order, then the type's natural order: total, so pages neither overlap nor leave gaps. */
function totalOrder(type: EntityTypeDef, requested: readonly OrderItem[]): OrderItem[] {
  const named = new Set(requested.map((item) => item.property));
  return [
    ...requested,
    ...type.naturalOrder.filter((property) => !named.has(property)).map((property) => ({ property, descending: false })),
  ];
}

function rowComparator(type: EntityTypeDef, order: readonly OrderItem[]): (a: ODataRow, b: ODataRow) => number {
  const compare = tupleComparator(type, order);
  return (a, b) => compare(tupleOf(a, order), tupleOf(b, order));
}

function tupleComparator(type: EntityTypeDef, order: readonly OrderItem[]): (a: readonly ODataValue[], b: readonly ODataValue[]) => number {
  const types = order.map((item) => propertyOf(type, item.property).type);
  return (a, b) => {
    for (let index = 0; index < order.length; index += 1) {
      const result = compareValues(types[index] as (typeof types)[number], a[index] ?? null, b[index] ?? null);
      if (result !== 0) return (order[index] as OrderItem).descending ? -result : result;
    }
    return 0;
  };
}

function tupleOf(row: ODataRow, order: readonly OrderItem[]): ODataValue[] {
  return order.map((item) => row[item.property] ?? null);
}

interface Page {
  readonly rows: readonly ODataRow[];
  readonly next?: SkipToken;
}

/**
 * Keyset paging: a next link carries the sort values of the last row served, and the next page
 * starts after them. Unlike an offset, this holds when rows are added or removed between requests.
 */
function pageOf(
  sorted: readonly ODataRow[],
  options: QueryOptions,
  type: EntityTypeDef,
  order: readonly OrderItem[],
  pageSize: number,
): Page {
  let start: number;
  let remaining: number | null;
  if (options.skipToken) {
    checkSkipToken(options.skipToken, type, order);
    const compare = tupleComparator(type, order);
    const after = options.skipToken.after;
    start = firstIndex(sorted, (row) => compare(tupleOf(row, order), after) > 0);
    remaining = options.skipToken.remaining;
  } else {
    start = Math.min(options.skip ?? 0, sorted.length);
    remaining = options.top ?? null;
  }
  const available = sorted.length - start;
  const take = Math.min(pageSize, remaining ?? Number.POSITIVE_INFINITY, available);
  const rows = sorted.slice(start, start + take);
  const more = available > take && (remaining === null || remaining > take);
  const last = rows[rows.length - 1];
  if (!more || !last) return { rows };
  return { rows, next: { after: tupleOf(last, order), remaining: remaining === null ? null : remaining - take } };
}

/** The first index whose row satisfies `isAfter`, which is false then true along the sorted rows. */
function firstIndex(sorted: readonly ODataRow[], isAfter: (row: ODataRow) => boolean): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAfter(sorted[middle] as ODataRow)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function checkSkipToken(token: SkipToken, type: EntityTypeDef, order: readonly OrderItem[]): void {
  const fits =
    token.after.length === order.length &&
    order.every((item, index) => {
      const value = token.after[index] ?? null;
      if (value === null) return true;
      switch (familyOf(propertyOf(type, item.property).type)) {
        case 'int':
          return typeof value === 'number' || /^-?\d{1,19}$/.test(value);
        case 'datetime':
          return typeof value === 'string' && Number.isFinite(Date.parse(value));
        default:
          return typeof value === 'string';
      }
    });
  if (!fits) throw badRequest('$skiptoken does not belong to this query; follow @odata.nextLink as given');
}

/** The same query with the position of the next page; custom options such as `code` are kept. */
function nextLinkOf(root: string, set: EntitySetDef, params: URLSearchParams, options: QueryOptions, token: SkipToken): string {
  const parts: string[] = [];
  for (const [name, value] of params) if (!name.startsWith('$')) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  for (const [name, value] of options.carried) parts.push(`${name}=${encodeURIComponent(value)}`);
  parts.push(`$skiptoken=${encodeSkipToken(token)}`);
  return `${root}${set.name}?${parts.join('&')}`;
}

async function countResponse(set: EntitySetDef, url: URL, source: ODataDataSource): Promise<ODataResponse> {
  const options = parseQueryOptions(url.searchParams, set.type);
  const rows = await source.rows(set, { values: (property) => constrainedValues(options.filter, property) });
  const count = options.filter
    ? rows.filter((row) => matches(options.filter as NonNullable<QueryOptions['filter']>, row)).length
    : rows.length;
  return { status: 200, headers: { ...COMMON_HEADERS, 'Content-Type': 'text/plain' }, body: String(count) };
}

async function entityResponse(
  set: EntitySetDef,
  key: string,
  url: URL,
  root: string,
  source: ODataDataSource,
  format: ResponseFormat,
): Promise<ODataResponse> {
  const options = parseQueryOptions(url.searchParams, set.type);
  const keyProperty = set.type.key;
  const rows = await source.rows(set, { values: (property) => (property === keyProperty ? [key] : undefined) });
  const row = rows.find((candidate) => String(candidate[keyProperty]) === key);
  if (!row) throw notFound(`${set.name}(${key}) does not exist`);
  const context =
    format.metadata === 'none' ? undefined : `${root}$metadata#${set.name}${options.select ? `(${options.select.join(',')})` : ''}/$entity`;
  return json(writeEntity(context, row, set.type, options.select, format), format);
}

/** `('text')`, `(123)` or `(name=...)`; returns the key as the canonical text rows hold. */
function parseKey(type: EntityTypeDef, text: string): string {
  const property = propertyOf(type, type.key);
  const named = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/s.exec(text);
  if (named && named[1] !== property.name) throw badRequest(`the key of ${type.name} is ${property.name}, not ${named[1]}`);
  const value = (named ? (named[2] as string) : text).trim();
  if (property.type === 'Edm.String') {
    const quoted = /^'((?:[^']|'')*)'$/s.exec(value);
    if (!quoted) throw badRequest(`the key of ${type.name} is a string: write it in single quotes`);
    return (quoted[1] as string).replace(/''/g, "'");
  }
  if (familyOf(property.type) === 'int') {
    const parsed = /^-?\d+$/.test(value) ? parseInt64(value) : undefined;
    if (!parsed?.ok) throw badRequest(`the key of ${type.name} is a 64-bit whole number, got ${value}`);
    return parsed.value;
  }
  throw badRequest(`keys of type ${property.type} are not supported`);
}

function propertyOf(type: EntityTypeDef, name: string) {
  const property = findProperty(type, name);
  if (!property) throw new Error(`${type.name} has no property ${name}`);
  return property;
}

function json(body: string, format: ResponseFormat): { status: number; headers: Record<string, string>; body: string } {
  return { status: 200, headers: { ...COMMON_HEADERS, 'Content-Type': jsonContentType(format) }, body };
}
