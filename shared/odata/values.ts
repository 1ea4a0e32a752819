import { compareInt64, parseInt64 } from '../domain/ids';
import { compareCodePoints } from '../domain/ranking';
import type { EdmType, ODataValue } from './model';

/**
 * The families values are compared in. Int32 and Int64 share one, compared as canonical decimal
 * text so a 64-bit oid is never turned into a double.
 */
export type ValueFamily = 'int' | 'string' | 'datetime' | 'bool' | 'null';

export function familyOf(type: EdmType): ValueFamily {
  switch (type) {
    case 'Edm.Int32':
    case 'Edm.Int64':
      return 'int';
    case 'Edm.String':
      return 'string';
    case 'Edm.DateTimeOffset':
      return 'datetime';
  }
}

/** An integer-family value as canonical decimal text, whether it is held as a number or as text. */
export function integerText(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an exact integer: ${value}`);
    return String(value);
  }
  const parsed = parseInt64(value);
  if (!parsed.ok) throw new Error(`not a 64-bit integer: ${value}`);
  return parsed.value;
}

/** Compares two non-null values of one family; datetimes by instant, strings by code point. */
export function compareInFamily(family: ValueFamily, a: string | number | boolean, b: string | number | boolean): number {
  switch (family) {
    case 'int':
      return compareInt64(integerText(a as string | number), integerText(b as string | number));
    case 'string':
      return compareCodePoints(a as string, b as string);
    case 'datetime':
      return instantOf(a as string | number) - instantOf(b as string | number);
    case 'bool':
      return Number(a) - Number(b);
    case 'null':
      return 0;
  }
}

/** Orders values of one property for $orderby: null first in ascending order, as OData specifies. */
export function compareValues(type: EdmType, a: ODataValue, b: ODataValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return compareInFamily(familyOf(type), a, b);
}

function instantOf(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}
