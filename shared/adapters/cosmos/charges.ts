import type { CosmosHeaders } from '@azure/cosmos';
import type { CosmosOperation, RequestMeter } from '../../ports';

const CHARGE_HEADER = 'x-ms-request-charge';

/** The request charge a response reports in its headers (0 when absent, as on some emulators). */
export function headerCharge(headers: CosmosHeaders | undefined): number {
  const value = Number(headers?.[CHARGE_HEADER] ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/** The request charge of a failed request: a refused create or replace is billed too. */
export function errorCharge(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 0;
  const { requestCharge, headers } = error as { requestCharge?: unknown; headers?: CosmosHeaders };
  if (typeof requestCharge === 'number' && Number.isFinite(requestCharge)) return requestCharge;
  return headerCharge(headers);
}

/** Runs one request, recording its charge under `operation` whether it succeeds or throws. */
export async function metered<T extends { requestCharge: number }>(
  meter: RequestMeter,
  operation: CosmosOperation | ((result: T) => CosmosOperation),
  request: () => Promise<T>,
  failedAs: CosmosOperation = typeof operation === 'string' ? operation : 'counter_read',
): Promise<T> {
  let response: T;
  try {
    response = await request();
  } catch (error) {
    meter.record(failedAs, errorCharge(error));
    throw error;
  }
  meter.record(typeof operation === 'string' ? operation : operation(response), response.requestCharge);
  return response;
}
