/**
 * Where the preview's rows come from: the OData feed of a running local runtime (or of the Function
 * app), read page by page through next links, with 64-bit numbers as strings (IEEE754Compatible) so
 * oids stay exact; and, when no runtime is given, a temporary one fed with the simulator's generator.
 */
import { DetectionGenerator } from '../generator';
import { removeDataDir, startRuntime, tempDataDir } from '../runtime';
import { type FeedRow, type PreviewData } from './preview';

async function readSet(serviceRoot: string, set: string): Promise<FeedRow[]> {
  const rows: FeedRow[] = [];
  let next: string | undefined = new URL(set, serviceRoot).toString();
  while (next) {
    const response = await fetch(next, { headers: { accept: 'application/json;odata.metadata=minimal;IEEE754Compatible=true' } });
    if (!response.ok) throw new Error(`GET ${next}: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { value: FeedRow[]; '@odata.nextLink'?: string };
    rows.push(...page.value);
    next = page['@odata.nextLink'];
  }
  return rows;
}

/** Reads TopItems and Locations from an OData service root such as http://127.0.0.1:7071/api/odata/. */
export async function readFeed(serviceRoot: string): Promise<PreviewData> {
  const root = serviceRoot.endsWith('/') ? serviceRoot : `${serviceRoot}/`;
  const [topItems, locations] = await Promise.all([readSet(root, 'TopItems'), readSet(root, 'Locations')]);
  return { topItems, locations, source: `the OData feed ${root}` };
}

export interface TemporaryRuntime {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `local/main.ts` on a temporary DATA_DIR and a free port, as `npm start` would. */
export async function startTemporaryRuntime(): Promise<TemporaryRuntime> {
  const dataDir = tempDataDir('powerbi-preview-');
  try {
    const runtime = await startRuntime({ dataDir, env: { LOG_LEVEL: 'warn' }, unset: ['NODE_OPTIONS'], echoStderr: true });
    const stop = async (): Promise<void> => {
      await runtime.stop();
      removeDataDir(dataDir);
    };
    return { url: runtime.url, stop };
  } catch (error) {
    removeDataDir(dataDir);
    throw error;
  }
}

/**
 * Sends `count` generated detections (four sample locations, a dozen items, most of them stamped in
 * the last six hours so the hourly page has a trend) and waits until the runtime has processed them.
 */
export async function feedRuntime(url: string, count: number, seed: number): Promise<void> {
  const generator = new DetectionGenerator({
    seed,
    now: Date.now,
    locations: ['1', '2', '3', '4'],
    items: 12,
    late: 0.85,
    lateHours: 6,
    largeIds: 0.1,
  });
  for (let sent = 0; sent < count; sent += 500) {
    const batch = generator.batch(Math.min(500, count - sent)).map((event) => event.body);
    const response = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (response.status !== 202) throw new Error(`POST /api/events: HTTP ${response.status} ${await response.text()}`);
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = (await (await fetch(`${url}/api/health`)).json()) as { backlog: { events: number | null; changes: number | null } };
    if (health.backlog.events === 0 && health.backlog.changes === 0) return;
    if (Date.now() > deadline) throw new Error(`the runtime did not settle: ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
