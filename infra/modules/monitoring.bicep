// Log Analytics workspace and a workspace-based Application Insights component that accepts only
// Microsoft Entra ID telemetry (local auth off): the app sends with its managed identity, which gets
// Monitoring Metrics Publisher on the component (see host-access.bicep).

@description('Log Analytics workspace name.')
@minLength(4)
@maxLength(63)
param workspaceName string

@description('Application Insights component name.')
@minLength(1)
@maxLength(255)
param applicationInsightsName string

@description('Azure region.')
param location string

@description('Tags for both resources.')
param tags object

@description('Days Log Analytics keeps the data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    retentionInDays: retentionInDays
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output workspaceName string = workspace.name
