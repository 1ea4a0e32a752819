import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { DeadLetter, DeadLetterSink } from '../../ports';
import { once } from '../../once';

export interface BlobDeadLetterOptions {
  /**
   * Create the container on first write when it is missing. Off in Azure, where the infrastructure
   * creates it and the app's identity is not allowed to; on for Azurite.
   */
  readonly createContainer?: boolean;
}

/**
 * Dead letters as JSON Lines, one blob per batch. The blob name is a pure function of the batch key
 * and the day the letters were received, so a redelivered batch overwrites its earlier blob instead
 * of adding a second copy of every letter.
 */
export class BlobDeadLetterSink implements DeadLetterSink {
  private readonly container: ContainerClient;
  /** Created once per instance; a failure is forgotten so the next write tries again. */
  private readonly ensureContainer = once(() => this.container.createIfNotExists());

  constructor(
    service: BlobServiceClient,
    readonly containerName: string,
    private readonly options: BlobDeadLetterOptions = {},
  ) {
    this.container = service.getContainerClient(containerName);
  }

  async write(batchKey: string, letters: readonly DeadLetter[]): Promise<void> {
    const first = letters[0];
    if (!first) return;
    if (this.options.createContainer) await this.ensureContainer();
    const body = letters.map((letter) => JSON.stringify(letter)).join('\n') + '\n';
    const name = deadLetterBlobName(batchKey, first.receivedAt);
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/x-ndjson; charset=utf-8' },
    });
  }
}

/**
 * `2026/11/22/eventhub/3/1200-1299.jsonl`: the day keeps the container browsable; the batch key
 * (partition and sequence range, or the HTTP request id) makes the name unique and repeatable.
 */
export function deadLetterBlobName(batchKey: string, receivedAt: string): string {
  const day = /^\d{4}-\d{2}-\d{2}/.test(receivedAt) ? receivedAt.slice(0, 10).replaceAll('-', '/') : 'undated';
  const key = batchKey
    .replaceAll('..', '-')
    .replace(/[^A-Za-z0-9/_.-]/g, '_')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
  return `${day}/${key || 'batch'}.jsonl`;
}
