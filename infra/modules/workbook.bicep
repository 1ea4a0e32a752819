// The operations workbook: ingest rate, duplicates, invalid events, RU by operation, partition lag
// and the age of the newest counter, all read from the log lines the functions write to Application
// Insights. Its content is infra/monitoring/workbook.json (docs/operations.md, "The workbook").

@description('Azure region.')
param location string

@description('Tags for the workbook.')
param tags object

@description('Application Insights component the workbook reads.')
@minLength(1)
@maxLength(255)
param applicationInsightsName string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; this one is stable per resource group, so redeploys update it.
  name: guid(resourceGroup().id, 'camera-top-items-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Camera top items: operations'
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: loadTextContent('../monitoring/workbook.json')
  }
}

output id string = workbook.id
