/**
 * The live dashboard in Debian's Chromium (playwright-core, no bundled browser): the real runtime,
 * events posted over HTTP, and the numbers on the page checked against the generator's truth.
 * Set DASHBOARD_SCREENSHOT=/some/file.png to keep a screenshot of the filled page.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DetectionGenerator, utcHourOf } from '../../tools/lib/generator';
import { getJson, type Health, postEvents, startTestRuntime, waitForIdle } from '../support/runtime';
import { removeDataDir, type RuntimeProcess } from '../../tools/lib/runtime';
import { eventually } from '../support/eventually';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tools/lib/chromium';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`Skipping the dashboard e2e test: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\` (.ci/run does).`);
}

const UI_TIMEOUT_MS = 30_000;
const HOSTILE_NAME = '<img src=x onerror="window.__injected=1">';
const ITEMS = ['car', 'bicycle', 'person', HOSTILE_NAME, 'Café ☕ & "friends"', 'bus', 'dog'];
// Oids 1-3 are in the bundled Dataset B sample; 4000000001 is not.
const KNOWN = ['1', '2', '3'];
const UNKNOWN = '4000000001';

interface TopRow {
  geographical_location_oid: string;
  geographical_location: string | null;
  item_rank: number;
  item_name: string;
  item_count: number;
}

/** The little of a DOM element the bar reader uses (the project compiles without the DOM library). */
interface BarElement {
  querySelector(selector: string): { textContent: string | null } | null;
  getAttribute(name: string): string | null;
}

interface Bar {
  name: string;
  count: number;
  shown: string;
}

(haveChromium ? describe : describe.skip)('live dashboard', () => {
  let runtime: RuntimeProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const generator = new DetectionGenerator({
    seed: 2024,
    now: Date.now,
    locations: KNOWN,
    unknownLocationOids: [UNKNOWN],
    unknownLocations: 0.05,
    items: ITEMS,
    duplicates: 0.1,
    conflicts: 0.3,
    invalid: 0.02,
    late: 0.1,
    lateHours: 3,
    largeIds: 0.3,
  });

  async function send(count: number): Promise<void> {
    const answer = await postEvents(
      runtime.url,
      generator.batch(count).map((event) => event.body),
    );
    expect(answer.status).toBe(202);
  }

  async function countersShown(names: readonly string[]): Promise<Record<string, number | null>> {
    const shown: Record<string, number | null> = {};
    for (const name of names) {
      const value = await page.getAttribute(`[data-testid="counter-${name}"]`, 'data-value');
      shown[name] = value === null || value === '' ? null : Number(value);
    }
    return shown;
  }

  /** Waits until every counter on the page shows the value given (as its data-value). */
  async function expectCounters(expected: Record<string, number>): Promise<void> {
    await eventually(
      () => countersShown(Object.keys(expected)),
      (shown) => Object.entries(expected).every(([name, value]) => shown[name] === value),
      `counters should be ${JSON.stringify(expected)}`,
    );
  }

  /**
   * What the counters must show once everything is processed. Conflicts are left out: the pipeline
   * counts a copy as conflicting against the first copy in its ingest batch rather than the stored
   * winner, so with copies spread over batches it can differ from the truth (reported separately);
   * the page is checked against GET /api/health for that one instead.
   */
  function truthCounters(): Record<string, number> {
    const totals = generator.truth.totals;
    return {
      accepted: totals.valid,
      stored: totals.distinct,
      duplicates: totals.duplicates,
      invalid: totals.invalid,
      unknown_location: totals.unknownLocation,
      backlog: 0,
    };
  }

  async function expectConflictsAsReported(): Promise<void> {
    const health = await waitForIdle(runtime.url);
    expect(health.counters.conflicts).toBeGreaterThan(0);
    await expectCounters({ conflicts: health.counters.conflicts });
  }

  /** Reads every bar of a card in one pass of the page, so a re-render cannot land between name and count. */
  async function barsOf(oid: string): Promise<Bar[]> {
    return page
      .locator(`[data-testid="location-card"][data-location-oid="${oid}"] [data-testid="bar"]`)
      .evaluateAll((elements: BarElement[]) =>
        elements.map((element) => ({
          name: element.querySelector('.bar-name')?.textContent ?? '',
          count: Number(element.getAttribute('data-count')),
          shown: element.querySelector('[data-testid="bar-count"]')?.textContent ?? '',
        })),
      );
  }

  /** Waits until the card of a location shows exactly these items and counts, in this order. */
  async function expectBars(oid: string, expected: { item: string; count: number }[]): Promise<void> {
    const want = JSON.stringify(expected.map((row) => ({ name: row.item, count: row.count })));
    const bars = await eventually(
      () => barsOf(oid),
      (shown) => JSON.stringify(shown.map(({ name, count }) => ({ name, count }))) === want,
      `bars of location ${oid} should be ${want}`,
    );
    // The count shown as text is the same number, formatted for reading.
    for (const bar of bars) expect(Number(bar.shown.replace(/\D/g, ''))).toBe(bar.count);
  }

  async function expectCards(count: number): Promise<void> {
    await eventually(
      () => page.locator('[data-testid="location-card"]').count(),
      (shown) => shown === count,
      `${count} location cards`,
    );
  }

  beforeAll(async () => {
    // Both take seconds to start and neither needs the other.
    [runtime, browser] = await Promise.all([startTestRuntime(), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    if (runtime) removeDataDir(runtime.dataDir);
  }, 60_000);

  it('starts live and empty, telling the user to run the simulator', async () => {
    await page.goto(`${runtime.url}/`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]', { timeout: UI_TIMEOUT_MS });
    await expectCounters({ accepted: 0, stored: 0, duplicates: 0, conflicts: 0, invalid: 0, unknown_location: 0, backlog: 0 });
    const empty = page.locator('[data-testid="empty-state"]');
    await empty.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await empty.textContent()).toContain('npm run simulate');
    expect(await page.locator('[data-testid="location-card"]').count()).toBe(0);
    // The picker lists Dataset B's locations by name and oid.
    await page.waitForSelector('[data-testid="location-picker"] option[value="1"]', { state: 'attached', timeout: UI_TIMEOUT_MS });
    expect(await page.locator('[data-testid="location-picker"] option[value="1"]').textContent()).toBe('Market Square (#1)');
  });

  it('shows the posted events as counters and bars, without a reload', async () => {
    // A marker on the window survives only if the page is never reloaded.
    await page.evaluate('window.__sameDocument = true');
    await send(1500);
    await expectCounters(truthCounters());
    await expectConflictsAsReported();
    for (const oid of KNOWN) await expectBars(oid, generator.truth.top(oid, 5));
    await expectBars(UNKNOWN, generator.truth.top(UNKNOWN, 5));

    expect(await page.locator('[data-testid="empty-state"]').isHidden()).toBe(true);
    const titles = await page.locator('[data-testid="location-card"] .card-title').allTextContents();
    expect(titles).toEqual(['Market Square', 'Station Road', 'Harbour Front', 'Unknown location']);

    // More events: the same page catches up.
    await send(700);
    await expectCounters(truthCounters());
    await expectConflictsAsReported();
    for (const oid of KNOWN) await expectBars(oid, generator.truth.top(oid, 5));
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  }, 120_000);

  it('shows item names as text, never as markup', async () => {
    const names = await page.locator('[data-testid="bar"] .bar-name').allTextContents();
    expect(names).toContain(HOSTILE_NAME);
    expect(names).toContain('Café ☕ & "friends"');
    expect(await page.locator('[data-testid="results"] img').count()).toBe(0);
    expect(await page.evaluate('window.__injected')).toBeUndefined();
  });

  it('narrows to one location and a window, matching the API and the truth', async () => {
    await page.selectOption('[data-testid="location-picker"]', '1');
    await page.selectOption('[data-testid="top-picker"]', '10');
    await expectCards(1);
    await expectBars('1', generator.truth.top('1', 10));
    expect(await page.locator('[data-testid="location-card"] .card-title').textContent()).toBe('Market Square');

    await page.click('[data-testid="window-picker"] [data-window="last:1h"]');
    expect(await page.getAttribute('[data-testid="window-picker"] [data-window="last:1h"]', 'aria-checked')).toBe('true');
    // The last hour is the current UTC hour; late detections (1 to 3 hours old) fall outside it.
    let hour: string;
    let rows: TopRow[];
    do {
      hour = utcHourOf(Date.now());
      rows = await getJson<TopRow[]>(`${runtime.url}/api/top-items?location=1&top=10&window=last:1h`);
    } while (hour !== utcHourOf(Date.now()));
    const expected = generator.truth.top('1', 10, [hour]);
    expect(rows.map((row) => ({ item: row.item_name, count: row.item_count }))).toEqual(expected);
    expect(expected.reduce((sum, row) => sum + row.count, 0)).toBeLessThan(generator.truth.total('1'));
    await expectBars('1', expected);
    expect(page.url()).toContain('window=last%3A1h');

    await page.click('[data-testid="window-picker"] [data-window="last:24h"]');
    await expectBars('1', generator.truth.top('1', 10));

    if (process.env['DASHBOARD_SCREENSHOT']) await page.screenshot({ path: process.env['DASHBOARD_SCREENSHOT'], fullPage: true });
    await page.selectOption('[data-testid="location-picker"]', '');
    await page.click('[data-testid="window-picker"] [data-window="all"]');
    await expectCards(4);
    if (process.env['DASHBOARD_SCREENSHOT'])
      await page.screenshot({ path: process.env['DASHBOARD_SCREENSHOT'].replace(/(\.png)?$/, '-all.png'), fullPage: true });
  }, 60_000);

  it('agrees with GET /api/health and reports a lost connection', async () => {
    const health = await getJson<Health>(`${runtime.url}/api/health`);
    expect(health.counters).toMatchObject({
      accepted: generator.truth.totals.valid,
      stored: generator.truth.totals.distinct,
      duplicates: generator.truth.totals.duplicates,
      invalid: generator.truth.totals.invalid,
      unknown_location: generator.truth.totals.unknownLocation,
    });
    await runtime.stop();
    await page.waitForSelector('[data-testid="connection"]:not([data-state="live"])', { timeout: UI_TIMEOUT_MS });
    expect(await page.locator('[data-testid="connection-label"]').textContent()).toMatch(/Reconnecting|Offline/);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
