// Camera detections -> top items per location, in Azure: Event Hubs (with Capture) -> Functions on
// Flex Consumption -> Cosmos DB, with Blob Storage for Dataset B, dead letters and the Capture archive.
// Keyless throughout: every service has local (key) auth off and every caller signs in with Microsoft
// Entra ID. Deploy into a resource group:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// docs/deploy.md explains every parameter below and what each one trades off.

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- general

@description('Azure region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Suffix that makes the globally unique names unique. The default is stable for a resource group.')
@minLength(5)
@maxLength(13)
param resourceToken string = toLower(uniqueString(resourceGroup().id))

@description('Tags for every resource.')
param tags object = {}

@description('Name of the azd environment (azd passes it): tags every resource with azd-env-name. Empty outside azd.')
@maxLength(64)
param environmentName string = ''

// ---------------------------------------------------------------- Event Hubs

@description('Event hub that carries the detections (EVENTHUB_NAME).')
@minLength(1)
@maxLength(256)
param eventHubName string = 'detections'

@description('Consumer group of the ingest trigger (EVENTHUB_CONSUMER_GROUP).')
@minLength(1)
@maxLength(50)
param consumerGroupName string = 'functions'

// Capacity values (partitions, throughput units, autoscale maximums, TTLs, rows cadence, retention): the
// defaults are `npm run capacity` at 10,000 events/s ("Bicep parameters" in its report), and
// test/infra/capacity.test.ts keeps them equal to the model. Size another rate with the same command.

@description('Partitions of the hub: the most ingest invocations that run at once. Fixed once the hub exists (Standard tier).')
@minValue(1)
@maxValue(32)
param partitionCount int = 8

@description('Throughput units the namespace starts with.')
@minValue(1)
@maxValue(20)
param throughputUnits int = 2

@description('Auto-inflate ceiling in throughput units; at or below throughputUnits turns auto-inflate off.')
@minValue(0)
@maxValue(20)
param autoInflateMaxThroughputUnits int = 3

@description('How long the hub keeps events, in hours.')
@minValue(1)
@maxValue(168)
param retentionHours int = 24

@description('Capture time window in seconds: a Capture file is closed at least this often.')
@minValue(60)
@maxValue(900)
param captureIntervalSeconds int = 300

@description('Capture size window in bytes: a Capture file is closed when it reaches this size.')
@minValue(10485760)
@maxValue(524288000)
param captureSizeLimitBytes int = 314572800

// ---------------------------------------------------------------- Storage

@description('Replication of the data account (capture, reference, dead letters).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param dataStorageSku string = 'Standard_LRS'

@description('Container of the Event Hubs Capture files (CAPTURE_CONTAINER).')
@minLength(3)
@maxLength(63)
param captureContainerName string = 'capture'

@description('Container of Dataset B (REFERENCE_CONTAINER).')
@minLength(3)
@maxLength(63)
param referenceContainerName string = 'reference'

@description('Blob name of Dataset B in the reference container (DATASET_B_BLOB).')
@minLength(1)
@maxLength(1024)
param datasetBBlobName string = 'locations.csv'

@description('Container of rejected events (DEADLETTER_CONTAINER).')
@minLength(3)
@maxLength(63)
param deadLetterContainerName string = 'deadletter'

// ---------------------------------------------------------------- Cosmos DB

@description('Database (COSMOS_DATABASE).')
@minLength(1)
@maxLength(255)
param databaseName string = 'camera'

@description('Dedup container (COSMOS_DEDUP_CONTAINER).')
@minLength(1)
@maxLength(255)
param dedupContainerName string = 'dedup'

@description('Tallies container between the two aggregation stages (COSMOS_TALLIES_CONTAINER).')
@minLength(1)
@maxLength(255)
param talliesContainerName string = 'tallies'

@description('Top-items container (COSMOS_TOPITEMS_CONTAINER).')
@minLength(1)
@maxLength(255)
param topItemsContainerName string = 'topitems'

@description('Change-feed lease container (COSMOS_LEASES_CONTAINER).')
@minLength(1)
@maxLength(255)
param leasesContainerName string = 'leases'

@description('Dedup horizon in seconds: both the dedup container\'s default TTL and DEDUP_TTL_SECONDS.')
@minValue(60)
param dedupTtlSeconds int = 86400

@description('Logical partitions of the dedup store (DEDUP_PARTITIONS). Never change it while dedup records live.')
@minValue(1)
@maxValue(10000)
param dedupPartitions int = 64

@description('Autoscale ceiling of the dedup container in RU/s, a multiple of 1000.')
@minValue(1000)
param dedupMaxThroughput int = 106000

@description('Default TTL of tallies in seconds. The aggregate stage must never lag the tally stage by longer than this, or tallies expire unread and their counts are lost; stored tallies (about tally bytes per second x TTL) must also stay well under 50 GB, or the container splits.')
@minValue(3600)
param talliesTtlSeconds int = 43200

@description('Autoscale ceiling of the tallies container in RU/s, a multiple of 1000. At most 10,000, so that it stays one physical partition: one lease, one writer per counter.')
@minValue(1000)
@maxValue(10000)
param talliesMaxThroughput int = 2000

@description('Autoscale ceiling of the top-items container in RU/s, a multiple of 1000.')
@minValue(1000)
param topItemsMaxThroughput int = 10000

// ---------------------------------------------------------------- Function App

@description('Most instances the Function App scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each Function App instance in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Ranks per location and window kept as flat rows for Power BI (MATERIALIZED_TOP); a counter and its rows commit in one transactional batch of at most 100 operations.')
@minValue(1)
@maxValue(99)
param materializedTop int = 10

@description('Seconds between writes of the flat Power BI rows (ROWS_REFRESH_SECONDS); only rows that changed are written.')
@minValue(1)
@maxValue(3600)
param rowsRefreshSeconds int = 10

@description('Days an hourly counter and its rows are kept after their hour ends (HOURLY_RETENTION_DAYS), through per-item TTL; all-time counters never expire.')
@minValue(1)
@maxValue(36500)
param hourlyRetentionDays int = 90

@description('Largest POST /api/events body in bytes (MAX_BODY_BYTES).')
@minValue(1024)
param maxBodyBytes int = 1048576

@description('Safety margin in minutes before the dedup horizon that a replay may not cross (REPLAY_GUARD_MINUTES).')
@minValue(0)
param replayGuardMinutes int = 15

// ---------------------------------------------------------------- alerts (docs/operations.md)

@description('Email address the alerts notify. Empty: alerts fire and show in the portal only.')
param alertEmail string = ''

@description('Minutes an Event Hubs partition may be behind (the age of the newest event ingest received) before the partition-lag alert fires; it fires after 5 minutes over it (LAG_ALERT_MINUTES).')
@minValue(1)
@maxValue(1440)
param lagAlertMinutes int = 5

@description('Events dead-lettered in an hour above which the dead-letter alert fires.')
@minValue(0)
param deadLetterAlertThreshold int = 100

// ---------------------------------------------------------------- people

@description('Object id of a developer (or group) who gets the app\'s data roles, for local runs against Azure and for uploading Dataset B. Empty: nobody.')
param principalId string = ''

@description('Kind of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Object ids of users or groups who read the Cosmos DB data from Power BI (Cosmos DB Built-in Data Reader on the topitems container).')
param reportReaderPrincipalIds string[] = []

// ---------------------------------------------------------------- names

var names = {
  appIdentity: 'id-func-${resourceToken}'
  captureIdentity: 'id-capture-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  dataStorage: 'stdata${resourceToken}'
  hostStorage: 'sthost${resourceToken}'
  eventHubsNamespace: 'evhns-${resourceToken}'
  cosmos: 'cosmos-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
  actionGroup: 'ag-${resourceToken}'
}

// azd finds its environment's resources by the azd-env-name tag and the app by azd-service-name
// (the service `api` in azure.yaml).
var resourceTags = union(tags, empty(environmentName) ? {} : { 'azd-env-name': environmentName })

var deploymentContainerName = 'app-package'

// ---------------------------------------------------------------- resources

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.appIdentity
  location: location
  tags: resourceTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: resourceTags
    retentionInDays: 30
  }
}

module dataStorage 'modules/storage.bicep' = {
  name: 'data-storage'
  params: {
    name: names.dataStorage
    location: location
    tags: resourceTags
    skuName: dataStorageSku
    containerNames: [
      captureContainerName
      referenceContainerName
      deadLetterContainerName
    ]
  }
}

// A separate account for the Functions host, so that the Blob Data Owner role the host needs never
// reaches the business data: on the data account the app gets container-scoped roles only.
module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  params: {
    name: names.hostStorage
    location: location
    tags: resourceTags
    skuName: 'Standard_LRS'
    containerNames: [
      deploymentContainerName
    ]
  }
}

module eventHubs 'modules/event-hubs.bicep' = {
  name: 'event-hubs'
  params: {
    namespaceName: names.eventHubsNamespace
    location: location
    tags: resourceTags
    eventHubName: eventHubName
    consumerGroupName: consumerGroupName
    partitionCount: partitionCount
    throughputUnits: throughputUnits
    autoInflateMaxThroughputUnits: autoInflateMaxThroughputUnits
    retentionHours: retentionHours
    captureIntervalSeconds: captureIntervalSeconds
    captureSizeLimitBytes: captureSizeLimitBytes
    captureStorageAccountName: dataStorage.outputs.name
    captureContainerName: captureContainerName
    captureIdentityName: names.captureIdentity
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    accountName: names.cosmos
    location: location
    tags: resourceTags
    databaseName: databaseName
    dedupContainerName: dedupContainerName
    talliesContainerName: talliesContainerName
    topItemsContainerName: topItemsContainerName
    leasesContainerName: leasesContainerName
    dedupTtlSeconds: dedupTtlSeconds
    dedupMaxThroughput: dedupMaxThroughput
    talliesTtlSeconds: talliesTtlSeconds
    talliesMaxThroughput: talliesMaxThroughput
    topItemsMaxThroughput: topItemsMaxThroughput
  }
}

// Exactly the settings shared/config.ts reads on the 'azure' host (test/infra/settings.test.ts holds
// the two lists equal, and the defaults too). Each connection is identity-based, signing in as the
// app's user-assigned identity; its endpoint comes from the module that creates the service, which
// also orders the app after the services. Names are the same parameters the modules create them from.
var appSettings = {
  EventHubConnection__fullyQualifiedNamespace: eventHubs.outputs.fullyQualifiedNamespace
  EventHubConnection__credential: 'managedidentity'
  EventHubConnection__clientId: appIdentity.properties.clientId
  CosmosDbConnection__accountEndpoint: cosmos.outputs.endpoint
  CosmosDbConnection__credential: 'managedidentity'
  CosmosDbConnection__clientId: appIdentity.properties.clientId
  DataStorage__blobServiceUri: dataStorage.outputs.blobEndpoint
  DataStorage__credential: 'managedidentity'
  DataStorage__clientId: appIdentity.properties.clientId
  EVENTHUB_NAME: eventHubName
  EVENTHUB_CONSUMER_GROUP: consumerGroupName
  COSMOS_DATABASE: databaseName
  COSMOS_DEDUP_CONTAINER: dedupContainerName
  COSMOS_TALLIES_CONTAINER: talliesContainerName
  COSMOS_TOPITEMS_CONTAINER: topItemsContainerName
  COSMOS_LEASES_CONTAINER: leasesContainerName
  REFERENCE_CONTAINER: referenceContainerName
  DATASET_B_BLOB: datasetBBlobName
  DEADLETTER_CONTAINER: deadLetterContainerName
  CAPTURE_CONTAINER: captureContainerName
  DEDUP_TTL_SECONDS: string(dedupTtlSeconds)
  DEDUP_PARTITIONS: string(dedupPartitions)
  MATERIALIZED_TOP: string(materializedTop)
  ROWS_REFRESH_SECONDS: string(rowsRefreshSeconds)
  HOURLY_RETENTION_DAYS: string(hourlyRetentionDays)
  MAX_BODY_BYTES: string(maxBodyBytes)
  REPLAY_GUARD_MINUTES: string(replayGuardMinutes)
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: resourceTags
    appTags: {
      'azd-service-name': 'api'
    }
    identityId: appIdentity.id
    identityClientId: appIdentity.properties.clientId
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: appSettings
  }
}

// ---------------------------------------------------------------- monitoring

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: resourceTags
    actionGroupName: names.actionGroup
    alertEmail: alertEmail
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosAccountName: cosmos.outputs.accountName
    lagAlertMinutes: lagAlertMinutes
    deadLetterAlertThreshold: deadLetterAlertThreshold
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    location: location
    tags: resourceTags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// ---------------------------------------------------------------- access

module hostAccess 'modules/host-access.bicep' = {
  name: 'host-access'
  params: {
    principalId: appIdentity.properties.principalId
    hostStorageAccountName: hostStorage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// The app reads Dataset B and the Capture archive (replay) and writes dead letters.
module appDataAccess 'modules/data-access.bicep' = {
  name: 'app-data-access'
  params: {
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    eventHubNamespaceName: eventHubs.outputs.namespaceName
    eventHubName: eventHubs.outputs.eventHubName
    storageAccountName: dataStorage.outputs.name
    writableContainers: [
      deadLetterContainerName
    ]
    readableContainers: [
      referenceContainerName
      captureContainerName
    ]
  }
}

// A developer also uploads Dataset B, so every data container is writable for them.
module developerDataAccess 'modules/data-access.bicep' = if (!empty(principalId)) {
  name: 'developer-data-access'
  params: {
    principalId: principalId
    principalType: principalType
    eventHubNamespaceName: eventHubs.outputs.namespaceName
    eventHubName: eventHubs.outputs.eventHubName
    storageAccountName: dataStorage.outputs.name
    writableContainers: [
      referenceContainerName
      captureContainerName
      deadLetterContainerName
    ]
    readableContainers: []
  }
}

module cosmosAccess 'modules/cosmos-access.bicep' = {
  name: 'cosmos-access'
  params: {
    accountName: cosmos.outputs.accountName
    databaseName: cosmos.outputs.databaseName
    contributorPrincipalIds: concat([appIdentity.properties.principalId], empty(principalId) ? [] : [principalId])
    readerPrincipalIds: reportReaderPrincipalIds
    readerContainerName: cosmos.outputs.topItemsContainerName
  }
}

// ---------------------------------------------------------------- outputs (for scripts and docs/deploy.md)

output resourceGroupName string = resourceGroup().name
output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output appIdentityClientId string = appIdentity.properties.clientId
output appIdentityPrincipalId string = appIdentity.properties.principalId
output dataStorageAccountName string = dataStorage.outputs.name
output dataBlobEndpoint string = dataStorage.outputs.blobEndpoint
output hostStorageAccountName string = hostStorage.outputs.name
output captureContainerName string = captureContainerName
output referenceContainerName string = referenceContainerName
output deadLetterContainerName string = deadLetterContainerName
output datasetBBlobName string = datasetBBlobName
output eventHubsNamespaceName string = eventHubs.outputs.namespaceName
output eventHubsFullyQualifiedNamespace string = eventHubs.outputs.fullyQualifiedNamespace
output eventHubName string = eventHubs.outputs.eventHubName
output eventHubConsumerGroup string = eventHubs.outputs.consumerGroupName
output cosmosAccountName string = cosmos.outputs.accountName
output cosmosEndpoint string = cosmos.outputs.endpoint
output cosmosDatabaseName string = cosmos.outputs.databaseName
output applicationInsightsName string = monitoring.outputs.applicationInsightsName
output actionGroupName string = alerts.outputs.actionGroupName
output alertNames string[] = alerts.outputs.alertNames
output workbookId string = workbook.outputs.id
