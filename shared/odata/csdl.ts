import type { EntityTypeDef, ServiceModel } from './model';

const EDMX_NS = 'http://docs.oasis-open.org/odata/ns/edmx';
const EDM_NS = 'http://docs.oasis-open.org/odata/ns/edm';

/** The $metadata document: the model as CSDL XML, OData 4.0. */
export function buildCsdl(model: ServiceModel): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<edmx:Edmx Version="4.0" xmlns:edmx="${EDMX_NS}">`,
    '  <edmx:DataServices>',
    `    <Schema Namespace="${xml(model.namespace)}" xmlns="${EDM_NS}">`,
    ...uniqueTypes(model).flatMap(entityTypeLines),
    `      <EntityContainer Name="${xml(model.containerName)}">`,
    ...model.entitySets.map(
      (set) => `        <EntitySet Name="${xml(set.name)}" EntityType="${xml(`${model.namespace}.${set.type.name}`)}"/>`,
    ),
    '      </EntityContainer>',
    '    </Schema>',
    '  </edmx:DataServices>',
    '</edmx:Edmx>',
  ];
  return `${lines.join('\n')}\n`;
}

function uniqueTypes(model: ServiceModel): EntityTypeDef[] {
  return [...new Map(model.entitySets.map((set) => [set.type.name, set.type])).values()];
}

function entityTypeLines(type: EntityTypeDef): string[] {
  return [
    `      <EntityType Name="${xml(type.name)}">`,
    `        <Key><PropertyRef Name="${xml(type.key)}"/></Key>`,
    // Nullable defaults to true in CSDL; writing it out either way keeps the document explicit.
    ...type.properties.map(
      (property) =>
        `        <Property Name="${xml(property.name)}" Type="${property.type}" Nullable="${property.nullable ? 'true' : 'false'}"/>`,
    ),
    '      </EntityType>',
  ];
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
