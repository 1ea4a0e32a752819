// Cosmos DB for NoSQL, keyless (local auth off): the database and its four containers. Data-plane
// access is granted separately through sqlRoleAssignments (cosmos-access.bicep).

@description('Account name: 3 to 44 lowercase letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(44)
param accountName string

@description('Azure region (single-region account).')
param location string

@description('Tags for the account.')
param tags object

@description('Database name.')
@minLength(1)
@maxLength(255)
param databaseName string

@description('Dedup container name.')
@minLength(1)
@maxLength(255)
param dedupContainerName string

@description('Tallies container name: the per-batch sums the tally stage writes and the aggregate stage reads.')
@minLength(1)
@maxLength(255)
param talliesContainerName string

@description('Top-items container name (counters, flat top-X rows, pipeline metrics).')
@minLength(1)
@maxLength(255)
param topItemsContainerName string

@description('Change-feed lease container name.')
@minLength(1)
@maxLength(255)
param leasesContainerName string

@description('Default TTL of dedup records in seconds: the dedup horizon.')
@minValue(1)
param dedupTtlSeconds int

@description('Autoscale ceiling of the dedup container in RU/s (it scales between 10% and 100% of it).')
@minValue(1000)
param dedupMaxThroughput int

@description('Default TTL of tallies in seconds. The aggregate stage must never lag the tally stage by longer than this: a tally that expires before the aggregate trigger reads it is lost, and so are its counts.')
@minValue(3600)
param talliesTtlSeconds int

@description('Autoscale ceiling of the tallies container in RU/s. At most 10,000, so that the container stays one physical partition and the aggregate trigger has one lease.')
@minValue(1000)
@maxValue(10000)
param talliesMaxThroughput int

@description('Autoscale ceiling of the top-items container in RU/s.')
@minValue(1000)
param topItemsMaxThroughput int

// Leases take a few point reads and writes per lease per poll, for both triggers (one lease per
// physical partition of dedup, one for tallies): the autoscale floor is plenty (npm run capacity:
// ~140 RU/s at 10,000 events/s; test/infra/capacity.test.ts ties it to the model).
var leasesMaxThroughput = 1000

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }

  resource database 'sqlDatabases' = {
    name: databaseName
    properties: {
      resource: {
        id: databaseName
      }
    }

    // One document per stored detection: id = detection_oid, pk = dedupPartitionOf(detection_oid)
    // (shared/domain/partitioning.ts), a hash bucket of the detection id itself. Every copy of a
    // detection, whichever camera or batch it comes from, therefore lands in the same logical
    // partition, where Cosmos DB keeps ids unique: a second create answers 409 and the copy is a
    // duplicate. The container is only created into and point-read, never queried, and the change
    // feed needs no index, so nothing is indexed beyond what Cosmos DB always indexes (id, _ts): the
    // cheapest possible writes. TTL runs from when the record was first written.
    resource dedup 'containers' = {
      name: dedupContainerName
      properties: {
        resource: {
          id: dedupContainerName
          partitionKey: {
            paths: [
              '/pk'
            ]
            kind: 'Hash'
          }
          defaultTtl: dedupTtlSeconds
          indexingPolicy: {
            indexingMode: 'consistent'
            automatic: true
            includedPaths: []
            excludedPaths: [
              {
                path: '/*'
              }
            ]
          }
        }
        options: {
          autoscaleSettings: {
            maxThroughput: dedupMaxThroughput
          }
        }
      }
    }

    // Stage one of aggregation (the tally trigger) writes one tally per dedup partition per change-feed
    // batch: id = '<pk>:<firstSequence>', pk = the dedup partition it sums; stage two (the aggregate
    // trigger) folds them into the counters in topitems. Like dedup, it is only created into,
    // point-read after a 409 and read through the change feed, so nothing is indexed. The point of
    // the container is to be ONE physical partition, so that the aggregate trigger has one lease and
    // each counter one writer: the autoscale ceiling stays at or below 10,000 RU/s (the parameter's
    // @maxValue) and the stored tallies well below 50 GB (about tally bytes per second x TTL: ~64
    // tallies of a few KB a second at 10,000 events/s is ~30 GB at a day's TTL). Past either limit
    // Cosmos DB splits the partition, the trigger gets a lease per part, and the commit races
    // between leases that this stage exists to remove come back. The TTL only bounds storage: a
    // tally must be read before it expires.
    resource tallies 'containers' = {
      name: talliesContainerName
      properties: {
        resource: {
          id: talliesContainerName
          partitionKey: {
            paths: [
              '/pk'
            ]
            kind: 'Hash'
          }
          defaultTtl: talliesTtlSeconds
          indexingPolicy: {
            indexingMode: 'consistent'
            automatic: true
            includedPaths: []
            excludedPaths: [
              {
                path: '/*'
              }
            ]
          }
        }
        options: {
          autoscaleSettings: {
            maxThroughput: talliesMaxThroughput
          }
        }
      }
    }

    // Per location (the partition key): one counter document per window and its flat top-X rows,
    // which the rows refresh writes in a transactional batch with the counter. Queries filter on type, window and locationOid, and
    // Power BI DirectQuery filters and sorts the flat rows on any column, so every scalar stays
    // indexed (opt-out policy, as the Cosmos DB docs recommend); only the counters' bulky bookkeeping,
    // the ranked item list (and the copy the rows were written from) and the per-partition watermarks, which are rewritten and
    // never filtered on, is left out. The partition key keeps version 1 hashing, because the Power BI
    // Cosmos DB connector does not read containers with large (version 2) partition keys; it is set
    // explicitly since the default for an omitted version has differed between tools and API
    // versions. The version is fixed once the container exists: a redeploy with another one fails.
    resource topItems 'containers' = {
      name: topItemsContainerName
      properties: {
        resource: {
          id: topItemsContainerName
          // TTL on, but nothing expires unless it sets its own ttl: hourly counters and their rows do
          // (HOURLY_RETENTION_DAYS after their hour), all-time counters and the metrics document do not.
          defaultTtl: -1
          partitionKey: {
            paths: [
              '/locationOid'
            ]
            kind: 'Hash'
            version: 1
          }
          indexingPolicy: {
            indexingMode: 'consistent'
            automatic: true
            includedPaths: [
              {
                path: '/*'
              }
            ]
            excludedPaths: [
              {
                path: '/items/*'
              }
              {
                path: '/watermarks/*'
              }
              {
                path: '/rowsItems/*'
              }
              {
                path: '/"_etag"/?'
              }
            ]
          }
        }
        options: {
          autoscaleSettings: {
            maxThroughput: topItemsMaxThroughput
          }
        }
      }
    }

    // The change-feed processors' leases, shared by both triggers (tally on dedup, aggregate on
    // tallies), each keeping its own leases under its leaseContainerPrefix. The triggers are told not
    // to create it (createLeaseContainerIfNotExists: false), since the app's data role cannot create
    // containers.
    resource leases 'containers' = {
      name: leasesContainerName
      properties: {
        resource: {
          id: leasesContainerName
          partitionKey: {
            paths: [
              '/id'
            ]
            kind: 'Hash'
          }
        }
        options: {
          autoscaleSettings: {
            maxThroughput: leasesMaxThroughput
          }
        }
      }
    }
  }
}

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = account::database.name
output dedupContainerName string = account::database::dedup.name
output talliesContainerName string = account::database::tallies.name
output topItemsContainerName string = account::database::topItems.name
output leasesContainerName string = account::database::leases.name
