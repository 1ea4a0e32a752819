import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import type { Connection } from '../../config';
import { credentialFor } from '../credentials';

/**
 * A Cosmos DB client for a named connection: Entra ID (managed identity in Azure) against the account
 * endpoint, or a connection string for the emulators. One client per worker: it holds the
 * connection pool and the partition-key-range cache that every request reuses.
 */
export function createCosmosClient(connection: Connection, extra: Partial<CosmosClientOptions> = {}): CosmosClient {
  const base: Partial<CosmosClientOptions> = { userAgentSuffix: 'camera-top-items', ...extra };
  return connection.kind === 'identity'
    ? new CosmosClient({ ...base, endpoint: connection.endpoint, aadCredentials: credentialFor(connection) })
    : new CosmosClient({ ...base, connectionString: connection.value });
}

/** The HTTP status of a Cosmos DB error, whichever field the SDK put it in. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}
