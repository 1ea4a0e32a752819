import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { Connection } from '../config';

type IdentityConnection = Extract<Connection, { kind: 'identity' }>;

/**
 * Credentials are costly to build (each one caches tokens and may probe the managed identity
 * endpoint), so one is made per distinct identity and shared by every client of the worker.
 */
const credentials = new Map<string, TokenCredential>();

export function credentialFor(connection: IdentityConnection): TokenCredential {
  const key = `${connection.credential}|${connection.clientId ?? ''}`;
  let credential = credentials.get(key);
  if (!credential) {
    credential =
      connection.credential === 'managedidentity'
        ? connection.clientId
          ? new ManagedIdentityCredential({ clientId: connection.clientId })
          : new ManagedIdentityCredential()
        : new DefaultAzureCredential(connection.clientId ? { managedIdentityClientId: connection.clientId } : {});
    credentials.set(key, credential);
  }
  return credential;
}
