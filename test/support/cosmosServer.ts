import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CosmosClient, Database } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { createCosmosClient } from '../../shared/adapters/cosmos';

/** The Cosmos DB emulator's published, well-known key (not a secret); the test server does not check it. */
const EMULATOR_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosTestServer {
  readonly client: CosmosClient;
  readonly connectionString: string;
  /** A fresh database for one test file. */
  database(id: string): Promise<Database>;
  stop(): Promise<void>;
}

/**
 * Starts @vercel/cosmosdb-server over HTTPS on a free loopback port. It serves a self-signed
 * certificate, so the client gets an agent that accepts it (for this test server only).
 */
export async function startCosmosServer(): Promise<CosmosTestServer> {
  const server = createHttpsServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const connectionString = `AccountEndpoint=https://127.0.0.1:${port}/;AccountKey=${EMULATOR_KEY};`;
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: false });
  const client = createCosmosClient(
    { kind: 'connectionString', value: connectionString },
    { agent, connectionPolicy: { enableEndpointDiscovery: false } },
  );
  return {
    client,
    connectionString,
    database: async (id) => (await client.databases.createIfNotExists({ id })).database,
    stop: async () => {
      client.dispose();
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
