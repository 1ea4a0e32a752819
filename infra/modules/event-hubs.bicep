// Event Hubs namespace (Standard, keys off) with the detections hub, the Functions' consumer group,
// and Capture: every event is archived as Avro to the data account's capture container, which is what
// `npm run replay` and the replay orchestration read back. Capture signs in with its own user-assigned
// identity, allowed to write blobs to that one container and nowhere else.

@description('Namespace name: 6 to 50 letters, digits and hyphens, globally unique.')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Azure region.')
param location string

@description('Tags for the namespace and the Capture identity.')
param tags object

@description('Event hub that carries the detections.')
@minLength(1)
@maxLength(256)
param eventHubName string

@description('Consumer group of the Functions ingest trigger.')
@minLength(1)
@maxLength(50)
param consumerGroupName string

@description('Partitions of the hub. Fixed once the hub exists on the Standard tier.')
@minValue(1)
@maxValue(32)
param partitionCount int

@description('Throughput units the namespace starts with (1 TU: 1 MB/s or 1000 events/s in, 2 MB/s out).')
@minValue(1)
@maxValue(20)
param throughputUnits int

@description('Auto-inflate ceiling in throughput units; at or below `throughputUnits` turns auto-inflate off.')
@minValue(0)
@maxValue(20)
param autoInflateMaxThroughputUnits int

@description('How long the hub keeps events, in hours (Standard: up to 168).')
@minValue(1)
@maxValue(168)
param retentionHours int

@description('Capture time window in seconds.')
@minValue(60)
@maxValue(900)
param captureIntervalSeconds int

@description('Capture size window in bytes.')
@minValue(10485760)
@maxValue(524288000)
param captureSizeLimitBytes int

@description('Data storage account that receives the Capture files.')
@minLength(3)
@maxLength(24)
param captureStorageAccountName string

@description('Blob container of the Capture files.')
@minLength(3)
@maxLength(63)
param captureContainerName string

@description('Name of the user-assigned identity Capture signs in with.')
@minLength(3)
@maxLength(128)
param captureIdentityName string

// Azure built-in role: Storage Blob Data Contributor (what Event Hubs Capture needs on its destination).
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

// The default Capture path; shared/capture/paths.ts parses exactly this layout.
var archiveNameFormat = '{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}'

var autoInflate = autoInflateMaxThroughputUnits > throughputUnits

resource captureIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: captureIdentityName
  location: location
  tags: tags
}

resource captureStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: captureStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource captureContainer 'containers' existing = {
      name: captureContainerName
    }
  }
}

resource captureWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(captureStorage::blobService::captureContainer.id, captureIdentity.id, storageBlobDataContributorRoleId)
  scope: captureStorage::blobService::captureContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: captureIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: throughputUnits
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${captureIdentity.id}': {}
    }
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    isAutoInflateEnabled: autoInflate
    maximumThroughputUnits: autoInflate ? autoInflateMaxThroughputUnits : 0
  }

  resource hub 'eventhubs' = {
    name: eventHubName
    properties: {
      partitionCount: partitionCount
      retentionDescription: {
        cleanupPolicy: 'Delete'
        retentionTimeInHours: retentionHours
      }
      captureDescription: {
        enabled: true
        encoding: 'Avro'
        intervalInSeconds: captureIntervalSeconds
        sizeLimitInBytes: captureSizeLimitBytes
        skipEmptyArchives: true
        destination: {
          name: 'EventHubArchive.AzureBlockBlob'
          identity: {
            type: 'UserAssigned'
            userAssignedIdentity: captureIdentity.id
          }
          properties: {
            storageAccountResourceId: captureStorage.id
            blobContainer: captureStorage::blobService::captureContainer.name
            archiveNameFormat: archiveNameFormat
          }
        }
      }
    }
    // Capture checks that it may write when it is switched on, so the role must exist first.
    dependsOn: [
      captureWriter
    ]

    resource functionsConsumerGroup 'consumergroups' = {
      name: consumerGroupName
    }
  }
}

output namespaceName string = namespace.name
// The host name alone (`<namespace>.servicebus.windows.net` in the public cloud), as the Event Hubs
// clients and the Functions extension expect it in `__fullyQualifiedNamespace`.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
output eventHubName string = namespace::hub.name
output consumerGroupName string = namespace::hub::functionsConsumerGroup.name
