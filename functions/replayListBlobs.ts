import * as df from 'durable-functions';
import { parseReplayRequest } from '../shared/pipeline/replay';
import { getServices } from './services';

/** Activity: the names of the Capture blobs whose time lies in [from, to), oldest first. */
export async function replayListBlobs(input: unknown): Promise<string[]> {
  const request = parseReplayRequest(input);
  if (!request.ok) throw new Error(`replayListBlobs: ${request.reason}`);
  const { captures } = await getServices();
  if (!captures) throw new Error('replayListBlobs: this host has no capture archive');
  const blobs = await captures.list(request.range.fromMs, request.range.toMs);
  return blobs.map((blob) => blob.name);
}

df.app.activity('replayListBlobs', { handler: replayListBlobs });
