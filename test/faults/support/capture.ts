/**
 * Reads what the runtime captured (Event Hubs Capture files in the capture container) and what it
 * dead-lettered, to check that a storage outage delayed them but lost and doubled nothing.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { decodeCaptureFile } from '../../../shared/capture';
import type { DeadLetter } from '../../../shared/ports';

export interface CapturedSummary {
  readonly files: number;
  readonly events: number;
  /** Partitions whose sequence numbers are not exactly 0..n-1, each once. */
  readonly gapsOrDoubles: string[];
  readonly detectionOids: Set<string>;
}

export async function readCapture(connectionString: string, containerName = 'capture'): Promise<CapturedSummary> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const sequences = new Map<string, bigint[]>();
  const detectionOids = new Set<string>();
  let files = 0;
  let events = 0;
  if (!(await container.exists())) return { files, events, gapsOrDoubles: [], detectionOids };
  for await (const blob of container.listBlobsFlat()) {
    const partition = blob.name.split('/')[2] ?? '?';
    const decoded = await decodeCaptureFile(await container.getBlobClient(blob.name).downloadToBuffer());
    files += 1;
    for (const event of decoded.events) {
      events += 1;
      const list = sequences.get(partition) ?? [];
      list.push(BigInt(event.sequenceNumber));
      sequences.set(partition, list);
      if (event.body) {
        const body = JSON.parse(Buffer.from(event.body).toString('utf8')) as { detection_oid?: string };
        if (body.detection_oid !== undefined) detectionOids.add(String(body.detection_oid));
      }
    }
  }
  const gapsOrDoubles: string[] = [];
  for (const [partition, list] of sequences) {
    list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const broken = list.findIndex((sequence, index) => sequence !== BigInt(index));
    if (broken >= 0) gapsOrDoubles.push(`partition ${partition}: position ${broken} holds sequence ${String(list[broken])}`);
  }
  return { files, events, gapsOrDoubles, detectionOids };
}

export async function readDeadLetters(connectionString: string, containerName = 'deadletter'): Promise<DeadLetter[]> {
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const letters: DeadLetter[] = [];
  if (!(await container.exists())) return letters;
  for await (const blob of container.listBlobsFlat()) {
    const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') letters.push(JSON.parse(line) as DeadLetter);
  }
  return letters;
}

/**
 * Compares dead letters with the invalid events sent (as JSON text). Every invalid event must be
 * there; a letter may appear twice (a request retried after its letters were written), but no letter
 * may be anything else.
 */
export function deadLetterDifferences(
  letters: readonly DeadLetter[],
  invalidBodies: readonly string[],
): { missing: string[]; foreign: string[] } {
  const unmatched = letters.map((letter) => letter.raw);
  const missing = invalidBodies.filter((body) => {
    const at = unmatched.indexOf(body);
    if (at >= 0) unmatched.splice(at, 1);
    return at < 0;
  });
  return { missing, foreign: unmatched.filter((raw) => !invalidBodies.includes(raw)) };
}

/** Every record of every partition archived exactly once, and every distinct detection in the archive. */
export async function captureDifference(connectionString: string, distinctDetections: number): Promise<string | undefined> {
  const captured = await readCapture(connectionString);
  if (captured.gapsOrDoubles.length > 0) return captured.gapsOrDoubles.join('; ');
  if (captured.detectionOids.size !== distinctDetections)
    return `captured ${captured.detectionOids.size} of ${distinctDetections} detections`;
  return undefined;
}
