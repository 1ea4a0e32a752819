import { readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { BlobLocationSource, isNotFound } from '../shared/adapters/blob';
import type { LocalConfig } from '../shared/config';
import type { LocationTable } from '../shared/domain/locations';

/** Bundled Dataset B: 50 town locations plus one oid above 2^53. */
export const SAMPLE_DATASET_B = join(__dirname, 'sample', 'locations.csv');

export interface DatasetBOrigin {
  /** The file uploaded, or undefined when the blob already in storage was kept. */
  readonly uploadedFrom: string | undefined;
  readonly container: string;
  readonly blob: string;
}

/**
 * Puts Dataset B in blob storage, as it is in Azure, so that it is then loaded the same way:
 * DATASET_B_PATH when set; otherwise the bundled sample, unless an external STORAGE_CONNECTION
 * already holds the blob (never overwrite someone's real data with the sample).
 */
export async function publishDatasetB(
  config: LocalConfig,
  service: BlobServiceClient,
  options: { embeddedStorage: boolean; blobNameExplicit: boolean },
): Promise<DatasetBOrigin> {
  const source = config.datasetBPath === undefined ? SAMPLE_DATASET_B : resolve(config.datasetBPath);
  // The blob name's extension picks the parser: a Parquet file must not be uploaded as locations.csv.
  const blob =
    options.blobNameExplicit || extname(config.datasetBBlob).toLowerCase() === extname(source).toLowerCase()
      ? config.datasetBBlob
      : `locations${extname(source).toLowerCase()}`;
  const container = service.getContainerClient(config.referenceContainer);
  const blobClient = container.getBlockBlobClient(blob);
  if (config.datasetBPath === undefined && !options.embeddedStorage) {
    try {
      await blobClient.getProperties();
      return { uploadedFrom: undefined, container: config.referenceContainer, blob };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (error) {
    throw new Error(`Dataset B: cannot read ${source} (DATASET_B_PATH): ${(error as Error).message}`);
  }
  await container.createIfNotExists();
  await blobClient.uploadData(bytes);
  return { uploadedFrom: source, container: config.referenceContainer, blob };
}

export function loadDatasetB(service: BlobServiceClient, origin: DatasetBOrigin): Promise<LocationTable> {
  return new BlobLocationSource(service, origin.container, origin.blob).load();
}
