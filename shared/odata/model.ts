/**
 * The entity data model of the OData feed: what $metadata describes and what the query options are
 * checked against. Pure data; the CSDL writer, the filter parser and the serializer all read it.
 */
export type EdmType = 'Edm.String' | 'Edm.Int32' | 'Edm.Int64' | 'Edm.DateTimeOffset';

export interface PropertyDef {
  readonly name: string;
  readonly type: EdmType;
  readonly nullable: boolean;
}

export interface EntityTypeDef {
  readonly name: string;
  /** The single key property. */
  readonly key: string;
  readonly properties: readonly PropertyDef[];
  /**
   * Properties that together order the set totally and uniquely. They follow any $orderby, so
   * every ordering is total and server-driven paging never loses or repeats a row.
   */
  readonly naturalOrder: readonly string[];
}

export interface EntitySetDef {
  readonly name: string;
  readonly type: EntityTypeDef;
}

export interface ServiceModel {
  readonly namespace: string;
  readonly containerName: string;
  readonly entitySets: readonly EntitySetDef[];
}

/**
 * A value as the feed holds it: Edm.Int64 as canonical decimal text (never a double), Edm.Int32 as
 * a number, Edm.DateTimeOffset as ISO 8601 text, Edm.String as text.
 */
export type ODataValue = string | number | null;
export type ODataRow = Readonly<Record<string, ODataValue>>;

export const TOP_ITEM_TYPE: EntityTypeDef = {
  name: 'TopItem',
  key: 'id',
  properties: [
    { name: 'id', type: 'Edm.String', nullable: false },
    { name: 'geographical_location_oid', type: 'Edm.Int64', nullable: false },
    { name: 'geographical_location', type: 'Edm.String', nullable: true },
    { name: 'item_rank', type: 'Edm.Int32', nullable: false },
    { name: 'item_name', type: 'Edm.String', nullable: false },
    { name: 'item_count', type: 'Edm.Int64', nullable: false },
    { name: 'window', type: 'Edm.String', nullable: false },
    { name: 'window_start', type: 'Edm.DateTimeOffset', nullable: true },
    { name: 'window_end', type: 'Edm.DateTimeOffset', nullable: true },
    { name: 'updated_at', type: 'Edm.DateTimeOffset', nullable: false },
  ],
  naturalOrder: ['window', 'geographical_location_oid', 'item_rank'],
};

export const LOCATION_TYPE: EntityTypeDef = {
  name: 'Location',
  key: 'geographical_location_oid',
  properties: [
    { name: 'geographical_location_oid', type: 'Edm.Int64', nullable: false },
    { name: 'geographical_location', type: 'Edm.String', nullable: false },
  ],
  naturalOrder: ['geographical_location_oid'],
};

export const TOP_ITEMS_SET = 'TopItems';
export const LOCATIONS_SET = 'Locations';

export const SERVICE_MODEL: ServiceModel = {
  namespace: 'CameraTopItems',
  containerName: 'Container',
  entitySets: [
    { name: TOP_ITEMS_SET, type: TOP_ITEM_TYPE },
    { name: LOCATIONS_SET, type: LOCATION_TYPE },
  ],
};

export function findProperty(type: EntityTypeDef, name: string): PropertyDef | undefined {
  return type.properties.find((property) => property.name === name);
}

export function findEntitySet(model: ServiceModel, name: string): EntitySetDef | undefined {
  return model.entitySets.find((set) => set.name === name);
}

/** The key of a TopItems row: unique per (window, location, rank), and readable. */
export function topItemKey(window: string, locationOid: string, rank: number): string {
  return `${window}|${locationOid}|${rank}`;
}
