import type { LocalConfig } from '../../shared/config';
import type { LocationTable } from '../../shared/domain/locations';
import type { PipelineCounters } from '../../shared/ports';
import type { PartitionState } from '../eventlog';

/**
 * The messages between the main thread (HTTP, the event log's writer, capture) and the store worker
 * (the SQLite store, the pumps running the handlers, the timers). Everything here is structured-clone data.
 */

/** What the worker starts from. */
export interface StoreWorkerData {
  readonly config: LocalConfig;
  readonly dataDir: string;
  readonly storageConnection: string;
  readonly locations: LocationTable;
  /** The event log as its writer had it when the worker was created. */
  readonly logState: readonly PartitionState[];
}

/** An HTTP request for a handler that runs in the worker. */
export interface WireRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly params: Record<string, string>;
  readonly body: Uint8Array | undefined;
  readonly invocationId: string;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** A route the worker serves: the main thread forwards its requests. */
export interface WireRoute {
  readonly method: string;
  readonly path: string | { readonly source: string; readonly flags: string };
  readonly name: string;
}

/** The calls the main thread makes of the worker, with their answers. */
export interface StoreCalls {
  http: { args: { route: string; request: WireRequest }; result: WireResponse };
  addMetrics: { args: Partial<PipelineCounters>; result: undefined };
  readMetrics: { args: undefined; result: PipelineCounters };
  commitCheckpoints: { args: readonly (readonly [string, number])[]; result: undefined };
}

export type CallName = keyof StoreCalls;

export type ToWorker =
  | { readonly kind: 'call'; readonly id: number; readonly name: CallName; readonly args: unknown }
  /** A call whose answer nobody waits for (its effects still come before those of any later message). */
  | { readonly kind: 'notify'; readonly name: CallName; readonly args: unknown }
  | { readonly kind: 'durable'; readonly tails: readonly { partition: number; tail: PartitionState }[] }
  | { readonly kind: 'stop' };

export type FromWorker =
  | { readonly kind: 'ready'; readonly routes: readonly WireRoute[]; readonly checkpoints: readonly (readonly [string, number])[] }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly kind: 'retained'; readonly partition: number; readonly sequence: number }
  | { readonly kind: 'stopped' };
