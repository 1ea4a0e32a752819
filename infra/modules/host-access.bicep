// What the Functions host itself needs, on the host storage account (which holds no business data):
// - Storage Blob Data Owner: the documented minimum for AzureWebJobsStorage with an identity; the host
//   creates its own containers (host locks, Event Hubs checkpoints) and Flex Consumption reads the
//   deployment package from a container of this account.
// - Storage Queue Data Contributor and Storage Table Data Contributor: Durable Functions with the
//   Azure Storage backend keeps its task hub in queues and tables of AzureWebJobsStorage.
// - Monitoring Metrics Publisher on Application Insights, whose local (key) auth is off.

@description('Object id of the app identity.')
param principalId string

@description('Host storage account name.')
@minLength(3)
@maxLength(24)
param hostStorageAccountName string

@description('Application Insights component name.')
@minLength(1)
@maxLength(255)
param applicationInsightsName string

// Azure built-in role definition ids.
var storageRoleIds = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource hostStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(hostStorage.id, principalId, roleId)
    scope: hostStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
