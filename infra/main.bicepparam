// Parameters of infra/main.bicep. Every value here is also main.bicep's default; change them per
// environment (docs/deploy.md, "Scale and cost knobs"). The developer principal comes from the
// environment so that the same file serves everyone:
//   PRINCIPAL_ID=$(az ad signed-in-user show --query id -o tsv) az deployment group create ...
using './main.bicep'

// Capacity values: `npm run capacity` at 10,000 events/s (its "Bicep parameters" section);
// test/infra/capacity.test.ts keeps them equal to the model. Run it at your rate and copy the section.

// Event Hubs: 8 partitions = up to 8 ingest invocations in parallel; 2 TU (1.8 MB/s of packed
// detections) inflating to 3.
param partitionCount = 8
param throughputUnits = 2
param autoInflateMaxThroughputUnits = 3
param retentionHours = 24
param captureIntervalSeconds = 300
param captureSizeLimitBytes = 314572800

// Cosmos DB: autoscale ceilings in RU/s (each container scales between 10% and 100% of its ceiling).
param dedupMaxThroughput = 106000
param topItemsMaxThroughput = 10000
param dedupTtlSeconds = 86400
param dedupPartitions = 64
// Tallies: at most 10,000 RU/s and well under 50 GB, so one physical partition (one aggregate lease);
// the TTL must outlast the longest the aggregate stage can fall behind.
param talliesMaxThroughput = 2000
param talliesTtlSeconds = 43200

// Aggregation: Power BI rows written every 10 s; hourly counters and rows kept 90 days.
param rowsRefreshSeconds = 10
param hourlyRetentionDays = 90

// Function App.
param maximumInstanceCount = 100
param instanceMemoryMB = 2048

// Alerts (docs/operations.md): who gets the email, and how far a partition may fall behind.
param alertEmail = readEnvironmentVariable('ALERT_EMAIL', '')
param lagAlertMinutes = 5
param deadLetterAlertThreshold = 100

// azd (azure.yaml) deploys with this same file: it sets AZURE_ENV_NAME (the azd-env-name tag) and
// AZURE_PRINCIPAL_ID (you). Outside azd both are empty unless you set them.
param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', '')

// People.
param principalId = readEnvironmentVariable('PRINCIPAL_ID', readEnvironmentVariable('AZURE_PRINCIPAL_ID', ''))
param reportReaderPrincipalIds = []
