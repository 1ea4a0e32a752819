import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterSink, BlobLocationSource, createBlobServiceClient, deadLetterBlobName } from '../../shared/adapters/blob';
import type { DeadLetter } from '../../shared/ports';
import { type Azurite, startAzurite } from '../../local/azurite';

jest.setTimeout(60_000);

let azurite: Azurite;
let workspace: string;
let service: BlobServiceClient;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'blob-test-'));
  azurite = await startAzurite({ location: workspace });
  service = createBlobServiceClient({ kind: 'connectionString', value: azurite.connectionString });
});

afterAll(async () => {
  await azurite?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

const letter = (index: number, reason: string): DeadLetter => ({
  reason,
  raw: `{"detection_oid":9007199254740993,"i":${index}}`,
  source: 'eventhub/3/100',
  index,
  receivedAt: '2026-11-22T10:15:00.000Z',
});

async function blobNames(container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of service.getContainerClient(container).listBlobsFlat()) names.push(blob.name);
  return names;
}

async function readText(container: string, name: string): Promise<string> {
  return (await service.getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString('utf8');
}

describe('BlobDeadLetterSink', () => {
  it('writes one JSON Lines blob per batch, creating the container when told to', async () => {
    const sink = new BlobDeadLetterSink(service, 'deadletter-a', { createContainer: true });
    await sink.write('eventhub/3/100..140', [letter(0, 'item_name: must not be empty'), letter(4, 'detection_oid: is missing')]);

    expect(await blobNames('deadletter-a')).toEqual(['2026/11/22/eventhub/3/100-140.jsonl']);
    const lines = (await readText('deadletter-a', '2026/11/22/eventhub/3/100-140.jsonl')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as DeadLetter)).toEqual([
      letter(0, 'item_name: must not be empty'),
      letter(4, 'detection_oid: is missing'),
    ]);
    // The raw event keeps the id's digits exactly.
    expect(lines[0]).toContain('9007199254740993');
  });

  it('overwrites the blob of a redelivered batch instead of adding another', async () => {
    const sink = new BlobDeadLetterSink(service, 'deadletter-b', { createContainer: true });
    await sink.write('eventhub/0/7..9', [letter(0, 'first delivery')]);
    await sink.write('eventhub/0/7..9', [letter(0, 'second delivery')]);
    await sink.write('eventhub/0/10..12', [letter(0, 'another batch')]);

    expect((await blobNames('deadletter-b')).sort()).toEqual(['2026/11/22/eventhub/0/10-12.jsonl', '2026/11/22/eventhub/0/7-9.jsonl']);
    expect(await readText('deadletter-b', '2026/11/22/eventhub/0/7-9.jsonl')).toContain('second delivery');
    expect(await readText('deadletter-b', '2026/11/22/eventhub/0/7-9.jsonl')).not.toContain('first delivery');
  });

  it('does not create a missing container unless told to, and writes nothing for an empty batch', async () => {
    const sink = new BlobDeadLetterSink(service, 'deadletter-missing');
    await expect(sink.write('http/abc', [])).resolves.toBeUndefined();
    await expect(sink.write('http/abc', [letter(0, 'x')])).rejects.toMatchObject({ statusCode: 404 });
    expect(await service.getContainerClient('deadletter-missing').exists()).toBe(false);
  });
});

describe('deadLetterBlobName', () => {
  it('is deterministic and keeps names safe', () => {
    expect(deadLetterBlobName('http/0f8a-11', '2026-01-02T00:00:00.000Z')).toBe('2026/01/02/http/0f8a-11.jsonl');
    expect(deadLetterBlobName('eventhub/unknown/i0..i9', '2026-01-02T23:59:59.999Z')).toBe('2026/01/02/eventhub/unknown/i0-i9.jsonl');
    expect(deadLetterBlobName('replay/a b?c//../x', 'garbage')).toBe('undated/replay/a_b_c/-/x.jsonl');
  });
});

describe('BlobLocationSource', () => {
  beforeAll(async () => {
    const container = service.getContainerClient('reference');
    await container.createIfNotExists();
    const csv = 'geographical_location_oid,geographical_location\n9007199254740993,Harbour\n2,Old Town\n';
    await container.getBlockBlobClient('locations.csv').upload(csv, Buffer.byteLength(csv));
    const duplicate =
      '{"geographical_location_oid":5,"geographical_location":"A"}\n{"geographical_location_oid":"5","geographical_location":"B"}\n';
    await container.getBlockBlobClient('dup.jsonl').upload(duplicate, Buffer.byteLength(duplicate));
  });

  it('downloads and parses Dataset B, keeping oids exact', async () => {
    const table = await new BlobLocationSource(service, 'reference', 'locations.csv').load();
    expect([...table]).toEqual([
      ['9007199254740993', 'Harbour'],
      ['2', 'Old Town'],
    ]);
  });

  it('names the container and blob when the blob is missing', async () => {
    await expect(new BlobLocationSource(service, 'reference', 'nope.csv').load()).rejects.toThrow(/"nope\.csv".*"reference"/);
    await expect(new BlobLocationSource(service, 'no-such-container', 'locations.csv').load()).rejects.toThrow(
      /"locations\.csv".*"no-such-container"/,
    );
  });

  it('passes Dataset B errors through, naming the duplicate oid', async () => {
    await expect(new BlobLocationSource(service, 'reference', 'dup.jsonl').load()).rejects.toThrow(/duplicate geographical_location_oid 5/);
  });
});
