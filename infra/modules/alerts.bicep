// Azure Monitor alerts of the pipeline, one per failure docs/operations.md explains (each alert's
// description names its section), and the action group they notify. Log alerts run the KQL files in
// infra/monitoring/ against Application Insights; Cosmos DB alerts use its platform metrics.

@description('Azure region of the log alert rules.')
param location string

@description('Tags for every resource.')
param tags object

@description('Action group name.')
@minLength(1)
@maxLength(260)
param actionGroupName string

@description('Email address the alerts go to. Empty: the alerts fire and show in the portal, but notify nobody.')
param alertEmail string

@description('Application Insights component the log alerts query.')
@minLength(1)
@maxLength(255)
param applicationInsightsName string

@description('Cosmos DB account whose metrics the throttling and RU alerts watch.')
@minLength(3)
@maxLength(44)
param cosmosAccountName string

@description('Minutes a partition may be behind (age of the newest event ingest received) before the partition-lag alert fires.')
@minValue(1)
@maxValue(1440)
param lagAlertMinutes int

@description('Events dead-lettered in an hour above which the dead-letter alert fires.')
@minValue(0)
param deadLetterAlertThreshold int

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'topitems'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

// The log alerts: each query is a file, with its threshold set by a `let` in front of it.
var logAlerts = [
  {
    name: 'partition-lag'
    severity: 1
    description: 'An Event Hubs partition has been behind by more than ${lagAlertMinutes} minutes for 5 minutes (docs/operations.md, "Partition lag").'
    query: 'let thresholdMinutes = ${lagAlertMinutes};\n${loadTextContent('../monitoring/partition-lag-alert.kql')}'
    frequency: 'PT5M'
    window: 'PT10M'
    dimension: 'partitionId'
  }
  {
    name: 'function-failures'
    severity: 2
    description: 'Function invocations failed, and the triggers retry them (docs/operations.md, "Function failures and retries").'
    query: 'let failureThreshold = 3;\n${loadTextContent('../monitoring/function-failures-alert.kql')}'
    frequency: 'PT5M'
    window: 'PT15M'
    dimension: 'functionName'
  }
  {
    name: 'dead-letters'
    severity: 3
    description: 'More than ${deadLetterAlertThreshold} events were dead-lettered in the last hour (docs/operations.md, "Dead letters growing").'
    query: 'let deadLetterThreshold = ${deadLetterAlertThreshold};\n${loadTextContent('../monitoring/dead-letters-alert.kql')}'
    frequency: 'PT15M'
    window: 'PT1H'
    dimension: ''
  }
  {
    name: 'replay-failed'
    severity: 2
    description: 'A replay orchestration failed (docs/operations.md, "Replay failed").'
    query: loadTextContent('../monitoring/replay-failed-alert.kql')
    frequency: 'PT5M'
    window: 'PT15M'
    dimension: 'instanceId'
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlerts: {
    name: 'alert-${alert.name}'
    location: location
    tags: tags
    properties: {
      displayName: alert.name
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        applicationInsights.id
      ]
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            dimensions: empty(alert.dimension)
              ? []
              : [
                  {
                    name: alert.dimension
                    operator: 'Include'
                    values: [
                      '*'
                    ]
                  }
                ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// Cosmos DB: requests refused with 429 (throttled), and the busiest partition's share of its RU/s.
var metricAlerts = [
  {
    name: 'cosmos-throttling'
    severity: 2
    description: 'Cosmos DB refused requests with 429 (throttled) in the last 15 minutes (docs/operations.md, "Cosmos DB throttling").'
    metric: 'TotalRequests'
    aggregation: 'Count'
    threshold: 100
    dimensions: [
      {
        name: 'StatusCode'
        operator: 'Include'
        values: [
          '429'
        ]
      }
      {
        name: 'CollectionName'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
  {
    name: 'cosmos-normalized-ru'
    severity: 3
    description: 'A container\'s busiest partition used more than 90 % of its RU/s, averaged over 15 minutes (docs/operations.md, "Normalized RU consumption above 90 %").'
    metric: 'NormalizedRUConsumption'
    aggregation: 'Average'
    threshold: 90
    dimensions: [
      {
        name: 'CollectionName'
        operator: 'Include'
        values: [
          '*'
        ]
      }
    ]
  }
]

resource metricAlertRules 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for alert in metricAlerts: {
    name: 'alert-${alert.name}'
    location: 'global'
    tags: tags
    properties: {
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        cosmos.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: alert.metric
            metricNamespace: 'Microsoft.DocumentDB/databaseAccounts'
            metricName: alert.metric
            timeAggregation: alert.aggregation
            operator: 'GreaterThan'
            threshold: alert.threshold
            dimensions: alert.dimensions
          }
        ]
      }
      autoMitigate: true
      actions: [
        {
          actionGroupId: actionGroup.id
        }
      ]
    }
  }
]

output actionGroupName string = actionGroup.name
output alertNames string[] = concat(map(logAlerts, alert => 'alert-${alert.name}'), map(metricAlerts, alert => 'alert-${alert.name}'))
