// Cosmos DB data-plane roles, scoped to the database (not the account): Azure RBAC roles such as Owner
// or Contributor grant no data access on Cosmos DB, only sqlRoleAssignments do. The database scope is
// the narrowest that works for the change-feed processor, which reads database metadata as well as
// the containers it uses. It covers every container of the database (dedup, tallies, topitems,
// leases), so a new container needs no grant of its own.

@description('Cosmos DB account name.')
@minLength(3)
@maxLength(44)
param accountName string

@description('Database the grants are scoped to.')
@minLength(1)
@maxLength(255)
param databaseName string

@description('Principals that read and write data: the app identity, and optionally a developer.')
param contributorPrincipalIds string[]

@description('Principals that only read, e.g. the Power BI report authors (Cosmos DB v2 connector, organizational account).')
param readerPrincipalIds string[]

@description('The one container readers may read: the top-item rows, not the raw detections in dedup.')
@minLength(1)
@maxLength(255)
param readerContainerName string

// Built-in Cosmos DB data-plane role definitions (fixed ids in every account).
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'
var dataReaderRoleId = '00000000-0000-0000-0000-000000000001'

// Data-plane paths (not ARM ids): the database for the app, one container for report readers.
var databaseScope = '${account.id}/dbs/${account::database.name}'
var readerScope = '${databaseScope}/colls/${readerContainerName}'

var grants = concat(
  map(contributorPrincipalIds, principalId => {
    principalId: principalId
    roleId: dataContributorRoleId
    scope: databaseScope
  }),
  map(readerPrincipalIds, principalId => {
    principalId: principalId
    roleId: dataReaderRoleId
    scope: readerScope
  })
)

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: accountName

  resource database 'sqlDatabases' existing = {
    name: databaseName
  }
}

// One at a time: parallel data-plane role assignments on one account are a known source of
// intermittent deployment conflicts, and there are only a handful of them.
@batchSize(1)
resource assignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for grant in grants: {
    parent: account
    name: guid(account::database.id, grant.principalId, grant.roleId, grant.scope)
    properties: {
      roleDefinitionId: '${account.id}/sqlRoleDefinitions/${grant.roleId}'
      principalId: grant.principalId
      scope: grant.scope
    }
  }
]
