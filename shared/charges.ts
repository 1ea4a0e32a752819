import { AsyncLocalStorage } from 'node:async_hooks';
import type { CosmosOperation, RequestMeter } from './ports';

export interface OperationCharge {
  n: number;
  ru: number;
}

export type ChargeSums = Partial<Record<CosmosOperation, OperationCharge>>;

/**
 * The request meter of a worker. The adapters are built once per worker and shared by concurrent
 * invocations, so each invocation's sums are kept in its own async context (`measure`), and every
 * request is also added to the worker's running counts (what the local runtime's health shows).
 */
export class ChargeMeter implements RequestMeter {
  private readonly scope = new AsyncLocalStorage<ChargeSums>();
  private readonly counts: Partial<Record<CosmosOperation, number>> = {};

  record(operation: CosmosOperation, requestCharge: number): void {
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    const sums = this.scope.getStore();
    if (!sums) return;
    const sum = (sums[operation] ??= { n: 0, ru: 0 });
    sum.n += 1;
    sum.ru += Number.isFinite(requestCharge) ? requestCharge : 0;
  }

  /** Runs `work`, returning its result with the requests it made (and only those). */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; charges: ChargeSums }> {
    const charges: ChargeSums = {};
    const result = await this.scope.run(charges, work);
    return { result, charges };
  }

  /** Requests by operation since the worker started. */
  operations(): Record<string, number> {
    return { ...this.counts };
  }
}

/** The worker's meter, handed to every store adapter. */
export const requestMeter = new ChargeMeter();

/** The `cosmos-charges` log line: compact JSON of the function, the detections it stored, and the sums. */
export function chargesLine(fn: string, stored: number, charges: ChargeSums): string {
  const ops: Record<string, OperationCharge> = {};
  for (const [operation, sum] of Object.entries(charges)) ops[operation] = { n: sum.n, ru: Math.round(sum.ru * 100) / 100 };
  return `cosmos-charges ${JSON.stringify({ fn, stored, ops })}`;
}
