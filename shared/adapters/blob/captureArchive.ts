import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import {
  type CaptureArchive,
  type CaptureBlob,
  captureHubPrefix,
  type CaptureLocation,
  captureTimePrefixes,
  selectCaptureBlobs,
} from '../../capture';
import type { Connection } from '../../config';
import { isNotFound } from './client';
import { once } from '../../once';

export interface BlobCaptureArchiveOptions {
  /** Create the container on first write (Azurite); in Azure the infrastructure creates it. */
  readonly createContainer?: boolean;
}

/**
 * Event Hubs Capture files in a Blob Storage container, named by the default Capture convention.
 * Listing walks only the name prefixes of the partitions and of the hours (or days) in the range, so
 * a short range in a large archive costs a few calls per partition.
 */
export class BlobCaptureArchive implements CaptureArchive {
  private readonly container: ContainerClient;
  /** Created once per instance; a failure is forgotten so the next write tries again. */
  private readonly ensureContainer = once(() => this.container.createIfNotExists());

  constructor(
    service: BlobServiceClient,
    readonly containerName: string,
    readonly location: CaptureLocation,
    private readonly options: BlobCaptureArchiveOptions = {},
  ) {
    this.container = service.getContainerClient(containerName);
  }

  async list(fromMs: number, toMs: number): Promise<CaptureBlob[]> {
    const timePrefixes = captureTimePrefixes(fromMs, toMs);
    if (timePrefixes.length === 0) return [];
    let partitionPrefixes: string[];
    try {
      partitionPrefixes = await this.partitionPrefixes();
    } catch (error) {
      // No container means nothing was ever captured.
      if (isNotFound(error)) return [];
      throw error;
    }
    const listed = await Promise.all(
      partitionPrefixes.map(async (partitionPrefix) => {
        const names: { name: string; size?: number }[] = [];
        for (const timePrefix of timePrefixes) {
          for await (const blob of this.container.listBlobsFlat({ prefix: partitionPrefix + timePrefix })) {
            names.push({ name: blob.name, size: blob.properties.contentLength ?? 0 });
          }
        }
        return names;
      }),
    );
    return selectCaptureBlobs(this.location, listed.flat(), fromMs, toMs);
  }

  async read(name: string): Promise<Uint8Array | null> {
    try {
      return await this.container.getBlobClient(name).downloadToBuffer();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async stream(name: string, offset: number): Promise<AsyncIterable<Uint8Array> | null> {
    try {
      // The body arrives as it is read: memory holds what the reader has not consumed yet.
      const response = await this.container.getBlobClient(name).download(offset);
      return (response.readableStreamBody as (NodeJS.ReadableStream & AsyncIterable<Uint8Array>) | undefined) ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    if (this.options.createContainer) await this.ensureContainer();
    await this.container.getBlockBlobClient(name).uploadData(bytes, { blobHTTPHeaders: { blobContentType: 'avro/binary' } });
  }

  private async partitionPrefixes(): Promise<string[]> {
    const prefixes: string[] = [];
    for await (const item of this.container.listBlobsByHierarchy('/', { prefix: captureHubPrefix(this.location) })) {
      if (item.kind === 'prefix') prefixes.push(item.name);
    }
    return prefixes;
  }
}

/**
 * Where Capture writes for the app's event hub: `{Namespace}` is the namespace name, the first label
 * of its host (`contoso-eh.servicebus.windows.net` → `contoso-eh`), whether the connection is an
 * endpoint (identity) or a connection string (`Endpoint=sb://…`).
 */
export function captureLocationOf(eventHubs: Connection, eventHubName: string): CaptureLocation {
  const endpoint = eventHubs.kind === 'identity' ? eventHubs.endpoint : (/Endpoint=([^;]+)/i.exec(eventHubs.value)?.[1] ?? '');
  const host = endpoint.replace(/^[a-z]+:\/\//i, '').split(/[/:]/)[0] ?? '';
  const namespace = host.split('.')[0] ?? '';
  if (namespace === '') throw new Error('cannot tell the Event Hubs namespace name from the EventHubConnection setting');
  return { namespace, eventHub: eventHubName };
}
