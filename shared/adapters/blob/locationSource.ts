import type { BlobServiceClient } from '@azure/storage-blob';
import { type LocationTable, parseLocations } from '../../domain/locations';
import type { LocationSource } from '../../ports';
import { isNotFound } from './client';

/** Dataset B from one blob, parsed by the format its name (or content) shows. Callers memoize `load`. */
export class BlobLocationSource implements LocationSource {
  constructor(
    private readonly service: BlobServiceClient,
    readonly containerName: string,
    readonly blobName: string,
  ) {}

  async load(): Promise<LocationTable> {
    const blob = this.service.getContainerClient(this.containerName).getBlobClient(this.blobName);
    let bytes: Buffer;
    try {
      bytes = await blob.downloadToBuffer();
    } catch (error) {
      if (isNotFound(error)) {
        throw new Error(
          `Dataset B: blob "${this.blobName}" not found in container "${this.containerName}" (${blob.url}); upload it or set DATASET_B_BLOB / REFERENCE_CONTAINER`,
        );
      }
      throw error;
    }
    return parseLocations(this.blobName, bytes);
  }
}
