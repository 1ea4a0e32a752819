import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { aggregate } from '../../functions/aggregate';
import { tally } from '../../functions/tally';
import { createMemoryServices, ManualClock, type MemoryServices, type MemoryServicesOptions } from '../support/memory';
import { useServices } from '../../functions/services';
import { workerRowsCadence } from '../../shared/pipeline/refreshRows';

export interface Logged {
  readonly level: string;
  readonly message: string;
}

/** An InvocationContext whose logs are kept for assertions instead of printed. */
export function invocationContext(init: { invocationId?: string; functionName?: string; triggerMetadata?: Record<string, unknown> } = {}) {
  const logs: Logged[] = [];
  const context = new InvocationContext({
    invocationId: init.invocationId ?? 'invocation-1',
    functionName: init.functionName ?? 'test',
    triggerMetadata: init.triggerMetadata ?? {},
    logHandler: (level, ...args) => logs.push({ level, message: args.map(String).join(' ') }),
  });
  return { context, logs };
}

/** The trigger metadata the Event Hubs extension passes with a batch (cardinality many). */
export function eventHubContext(partitionId: string, sequenceNumbers: number[], invocationId = 'ingest-1') {
  return invocationContext({
    invocationId,
    functionName: 'ingest',
    triggerMetadata: {
      partitionContext: { partitionId, consumerGroup: 'functions', eventHubName: 'detections' },
      sequenceNumberArray: sequenceNumbers,
      enqueuedTimeUtcArray: sequenceNumbers.map(() => '2026-11-22T10:00:00Z'),
    },
  });
}

export function installMemoryServices(options: MemoryServicesOptions = {}): MemoryServices & { clock: ManualClock } {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const services = createMemoryServices({ ...options, clock });
  useServices(services);
  return { ...services, clock };
}

export function get(url: string, query: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'GET', url: `http://127.0.0.1:7071${url}`, query });
}

export function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071${url}`,
    body: typeof body === 'string' ? { string: body } : { bytes: body },
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function jsonBodyOf<T = unknown>(response: HttpResponseInit): T {
  return response.jsonBody as T;
}

/** A valid detection as the JSON text a client would send, with optional raw overrides. */
export function eventJson(fields: Partial<Record<'location' | 'camera' | 'detection' | 'item' | 'timestamp', string>> = {}): string {
  return (
    `{"geographical_location_oid":${fields.location ?? '1'},"video_camera_oid":${fields.camera ?? '10'},` +
    `"detection_oid":${fields.detection ?? '100'},"item_name":${fields.item ?? '"car"'},"timestamp_detected":${fields.timestamp ?? '1795341600000'}}`
  );
}

/**
 * Both aggregation stages as the two change-feed triggers run them: the dedup store's changes (all
 * of them unless given) to `tally`, then the tallies it created to `aggregate`, whose rows cadence
 * has elapsed, so the flat rows are written too.
 */
export async function runAggregation(services: MemoryServices, changes: readonly unknown[] = services.dedup.changes()): Promise<void> {
  const from = services.tallies.feed().length;
  await tally([...changes], invocationContext({ functionName: 'tally' }).context);
  // As if a cadence had passed since the last rows refresh: this aggregate writes the rows too.
  workerRowsCadence.reset();
  // The trigger hands over documents as JSON: give the handler copies, never the store's objects.
  await aggregate(
    JSON.parse(JSON.stringify(services.tallies.feed().slice(from))) as unknown[],
    invocationContext({ functionName: 'aggregate' }).context,
  );
}
