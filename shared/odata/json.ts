import type { ResponseFormat } from './format';
import type { EntityTypeDef, ODataRow, ODataValue, PropertyDef } from './model';
import { integerText } from './values';

/**
 * Writes OData JSON by hand so that Edm.Int64 values go from their decimal text straight into the
 * output: as bare JSON numbers by default, as strings under IEEE754Compatible=true. JSON.stringify
 * would need a double for a number, and a double cannot hold every 64-bit oid.
 */
export interface CollectionPayload {
  readonly context: string | undefined;
  readonly count?: number;
  readonly rows: readonly ODataRow[];
  readonly type: EntityTypeDef;
  readonly select: readonly string[] | undefined;
  readonly nextLink?: string;
}

export function writeCollection(payload: CollectionPayload, format: ResponseFormat): string {
  const properties = selected(payload.type, payload.select);
  const parts: string[] = [];
  if (payload.context !== undefined) parts.push(`"@odata.context":${JSON.stringify(payload.context)}`);
  if (payload.count !== undefined) parts.push(`"@odata.count":${writeInt64(String(payload.count), format)}`);
  parts.push(`"value":[${payload.rows.map((row) => writeEntityBody(row, properties, format)).join(',')}]`);
  if (payload.nextLink !== undefined) parts.push(`"@odata.nextLink":${JSON.stringify(payload.nextLink)}`);
  return `{${parts.join(',')}}`;
}

export function writeEntity(
  context: string | undefined,
  row: ODataRow,
  type: EntityTypeDef,
  select: readonly string[] | undefined,
  format: ResponseFormat,
): string {
  const body = propertyMembers(row, selected(type, select), format);
  return `{${[...(context !== undefined ? [`"@odata.context":${JSON.stringify(context)}`] : []), ...body].join(',')}}`;
}

function selected(type: EntityTypeDef, select: readonly string[] | undefined): readonly PropertyDef[] {
  if (!select) return type.properties;
  const wanted = new Set(select);
  return type.properties.filter((property) => wanted.has(property.name));
}

function writeEntityBody(row: ODataRow, properties: readonly PropertyDef[], format: ResponseFormat): string {
  return `{${propertyMembers(row, properties, format).join(',')}}`;
}

function propertyMembers(row: ODataRow, properties: readonly PropertyDef[], format: ResponseFormat): string[] {
  return properties.map((property) => `${JSON.stringify(property.name)}:${writeValue(property, row[property.name] ?? null, format)}`);
}

export function writeValue(property: PropertyDef, value: ODataValue, format: ResponseFormat): string {
  if (value === null) {
    if (!property.nullable) throw new Error(`${property.name} is null but not nullable`);
    return 'null';
  }
  switch (property.type) {
    case 'Edm.Int64':
      return writeInt64(integerText(value), format);
    case 'Edm.Int32': {
      const text = integerText(value);
      const number = Number(text);
      if (number < -(2 ** 31) || number >= 2 ** 31) throw new Error(`${property.name} = ${text} is outside Edm.Int32`);
      return text;
    }
    case 'Edm.String':
      return JSON.stringify(String(value));
    case 'Edm.DateTimeOffset':
      return JSON.stringify(typeof value === 'number' ? new Date(value).toISOString() : value);
  }
}

function writeInt64(decimalText: string, format: ResponseFormat): string {
  return format.ieee754Compatible ? `"${decimalText}"` : decimalText;
}
