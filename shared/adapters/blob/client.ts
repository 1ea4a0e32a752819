import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { Connection } from '../../config';
import { credentialFor } from '../credentials';

/** A Blob service client for a named connection: Entra ID against an endpoint, or a connection string (Azurite). */
export function createBlobServiceClient(connection: Connection, options: StoragePipelineOptions = {}): BlobServiceClient {
  return connection.kind === 'identity'
    ? new BlobServiceClient(connection.endpoint, credentialFor(connection), options)
    : BlobServiceClient.fromConnectionString(connection.value, options);
}

/** True for the Storage "not found" answers (missing blob or missing container). */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 404;
}
