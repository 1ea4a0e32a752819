import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';

export type FunctionHttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> | HttpResponseInit;
export type TriggerHandler = (input: unknown[], context: InvocationContext) => Promise<void>;
export type TimerHandler = (timer: Timer, context: InvocationContext) => Promise<void>;

/** The real function handlers from functions/, hosted by the local runtime. */
export interface FunctionHandlers {
  readonly events: FunctionHttpHandler;
  readonly topItems: FunctionHttpHandler;
  readonly health: FunctionHttpHandler;
  readonly locations: FunctionHttpHandler;
  readonly ingest: TriggerHandler;
  readonly tally: TriggerHandler;
  readonly aggregate: TriggerHandler;
  readonly refreshRows: TimerHandler;
  readonly odata: FunctionHttpHandler;
}

/**
 * Outside the Functions host, @azure/functions warns that it runs in "test mode" and that each
 * `app.*` registration is skipped. Both are expected here: the runtime calls the handlers itself.
 */
const TEST_MODE_NOISE = [/^WARNING: Failed to detect the Azure Functions runtime/, /^WARNING: Skipping call to register function/];

export function isTestModeNoise(first: unknown): boolean {
  return typeof first === 'string' && TEST_MODE_NOISE.some((pattern) => pattern.test(first));
}

export async function loadFunctionHandlers(): Promise<FunctionHandlers> {
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (isTestModeNoise(args[0])) return;
    originalWarn(...args);
  };
  try {
    const [events, topItems, health, locations, ingest, tally, aggregate, refreshRows, odata] = await Promise.all([
      import('../functions/events.js'),
      import('../functions/topItems.js'),
      import('../functions/health.js'),
      import('../functions/locations.js'),
      import('../functions/ingest.js'),
      import('../functions/tally.js'),
      import('../functions/aggregate.js'),
      import('../functions/refreshRows.js'),
      import('../functions/odata.js'),
    ]);
    return {
      events: events.events,
      topItems: topItems.topItems,
      health: health.health,
      locations: locations.locations,
      ingest: ingest.ingest,
      // The summaries tally and aggregate return are for tests; the pumps, like the Functions host, ignore them.
      tally: async (documents, context) => void (await tally.tally(documents, context)),
      aggregate: async (documents, context) => void (await aggregate.aggregate(documents, context)),
      refreshRows: refreshRows.refreshRowsTimer,
      odata: odata.odata,
    };
  } finally {
    console.warn = originalWarn;
  }
}
