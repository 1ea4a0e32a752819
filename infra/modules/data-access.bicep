// Azure RBAC data roles of one principal (the app's identity, or a developer for local runs against
// Azure), each at the narrowest scope that works: the event hub itself rather than the namespace, and
// each blob container rather than the storage account. Cosmos DB roles are in cosmos-access.bicep.

@description('Object id of the principal.')
param principalId string

@description('Kind of principal; ServicePrincipal for managed identities.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string

@description('Event Hubs namespace name.')
@minLength(6)
@maxLength(50)
param eventHubNamespaceName string

@description('Event hub the principal sends to and receives from.')
@minLength(1)
@maxLength(256)
param eventHubName string

@description('Data storage account name.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Containers the principal writes to (Storage Blob Data Contributor).')
param writableContainers string[]

@description('Containers the principal only reads (Storage Blob Data Reader).')
param readableContainers string[]

// Azure built-in role definition ids.
var roleIds = {
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: eventHubNamespaceName

  resource hub 'eventhubs' existing = {
    name: eventHubName
  }
}

// The ingest trigger reads the hub (and its partition metadata for scaling).
resource hubReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::hub.id, principalId, roleIds.eventHubsDataReceiver)
  scope: namespace::hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.eventHubsDataReceiver)
    principalId: principalId
    principalType: principalType
  }
}

// POST /api/events publishes accepted events to the hub.
resource hubSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(namespace::hub.id, principalId, roleIds.eventHubsDataSender)
  scope: namespace::hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.eventHubsDataSender)
    principalId: principalId
    principalType: principalType
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource writable 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for containerName in writableContainers: {
    parent: storage::blobService
    name: containerName
  }
]

resource readable 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for containerName in readableContainers: {
    parent: storage::blobService
    name: containerName
  }
]

resource writers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(writableContainers)): {
    name: guid(writable[i].id, principalId, roleIds.storageBlobDataContributor)
    scope: writable[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
      principalId: principalId
      principalType: principalType
    }
  }
]

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(readableContainers)): {
    name: guid(readable[i].id, principalId, roleIds.storageBlobDataReader)
    scope: readable[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataReader)
      principalId: principalId
      principalType: principalType
    }
  }
]
