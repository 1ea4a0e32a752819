import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildCsdl } from '../../../shared/odata/csdl';
import { SERVICE_MODEL } from '../../../shared/odata/model';

type Attributes = Record<string, string>;
interface EntityTypeNode {
  Name: string;
  Key: { PropertyRef: Attributes };
  Property: Attributes[];
}

const xml = buildCsdl(SERVICE_MODEL);
const parsed = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['Property', 'EntityType', 'EntitySet'].includes(name),
}).parse(xml) as {
  'edmx:Edmx': Attributes & {
    'edmx:DataServices': {
      Schema: Attributes & { EntityType: EntityTypeNode[]; EntityContainer: Attributes & { EntitySet: Attributes[] } };
    };
  };
};
const edmx = parsed['edmx:Edmx'];
const schema = edmx['edmx:DataServices'].Schema;

function entityType(name: string): EntityTypeNode {
  const found = schema.EntityType.find((type) => type.Name === name);
  if (!found) throw new Error(`no EntityType ${name}`);
  return found;
}

function properties(name: string): Record<string, { type: string; nullable: string }> {
  const found: Record<string, { type: string; nullable: string }> = {};
  for (const property of entityType(name).Property)
    found[property['Name'] as string] = { type: property['Type'] as string, nullable: property['Nullable'] as string };
  return found;
}

describe('$metadata (CSDL XML)', () => {
  it('is well-formed XML', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it('is an OData 4.0 EDMX document with the OASIS namespaces', () => {
    expect(edmx.Version).toBe('4.0');
    expect(edmx['xmlns:edmx']).toBe('http://docs.oasis-open.org/odata/ns/edmx');
    expect(schema.xmlns).toBe('http://docs.oasis-open.org/odata/ns/edm');
    expect(schema.Namespace).toBe('CameraTopItems');
  });

  it('types the top-item rows as the spec says: oids and counts Edm.Int64, rank Edm.Int32, window bounds nullable', () => {
    expect(properties('TopItem')).toEqual({
      id: { type: 'Edm.String', nullable: 'false' },
      geographical_location_oid: { type: 'Edm.Int64', nullable: 'false' },
      geographical_location: { type: 'Edm.String', nullable: 'true' },
      item_rank: { type: 'Edm.Int32', nullable: 'false' },
      item_name: { type: 'Edm.String', nullable: 'false' },
      item_count: { type: 'Edm.Int64', nullable: 'false' },
      window: { type: 'Edm.String', nullable: 'false' },
      window_start: { type: 'Edm.DateTimeOffset', nullable: 'true' },
      window_end: { type: 'Edm.DateTimeOffset', nullable: 'true' },
      updated_at: { type: 'Edm.DateTimeOffset', nullable: 'false' },
    });
    expect(entityType('TopItem').Key.PropertyRef.Name).toBe('id');
  });

  it('types the locations of Dataset B with an Edm.Int64 key', () => {
    expect(properties('Location')).toEqual({
      geographical_location_oid: { type: 'Edm.Int64', nullable: 'false' },
      geographical_location: { type: 'Edm.String', nullable: 'false' },
    });
    expect(entityType('Location').Key.PropertyRef.Name).toBe('geographical_location_oid');
  });

  it('exposes TopItems and Locations in the entity container, bound to types that exist', () => {
    const sets = schema.EntityContainer.EntitySet.map((set) => [set.Name, set.EntityType]);
    expect(sets).toEqual([
      ['TopItems', 'CameraTopItems.TopItem'],
      ['Locations', 'CameraTopItems.Location'],
    ]);
    for (const [, qualified] of sets) expect(entityType((qualified as string).split('.')[1] as string)).toBeDefined();
  });
});
