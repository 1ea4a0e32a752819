/**
 * The Power BI report preview in Debian's Chromium: a real local runtime fed by the simulator's
 * generator, the preview drawn from the PBIR definition and the OData feed, and each visual of the
 * report checked on the page (position, and what it shows against the feed's rows).
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { feedRuntime, readFeed } from '../../tools/lib/powerbi/feed';
import { type PreviewData } from '../../tools/lib/powerbi/preview';
import { renderPreview } from '../../tools/lib/powerbi/previewHtml';
import { readReport } from '../../tools/lib/powerbi/report';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tools/lib/chromium';
import { startTestRuntime } from '../support/runtime';
import { removeDataDir, type RuntimeProcess } from '../../tools/lib/runtime';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`Skipping the Power BI preview e2e test: ${CHROMIUM} is missing. Install it with \`apt-get install -y chromium\`.`);
}

(haveChromium ? describe : describe.skip)('Power BI report preview', () => {
  let runtime: RuntimeProcess;
  let browser: Browser;
  let page: Page;
  let data: PreviewData;
  const report = readReport();

  beforeAll(async () => {
    // The browser starts while the runtime starts and takes the events.
    const launched = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      runtime = await startTestRuntime();
      await feedRuntime(runtime.url, 2000, 7);
      data = await readFeed(`${runtime.url}/api/odata/`);
    } finally {
      browser = await launched;
    }
    page = await browser.newPage({ viewport: { width: 1328, height: 800 } });
    await page.setContent(renderPreview(report, data), { waitUntil: 'load' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (runtime) {
      await runtime.stop();
      removeDataDir(runtime.dataDir);
    }
  });

  const allTime = (): PreviewData['topItems'] => data.topItems.filter((row) => row['window'] === 'all');

  it('says it is a preview, not a Power BI screenshot', async () => {
    expect(await page.textContent('[data-testid="preview-label"]')).toContain('PREVIEW — NOT A POWER BI SCREENSHOT');
  });

  it('draws every visual of the report where the report places it', async () => {
    for (const reportPage of report) {
      const canvas = (await page.locator(`[data-page="${reportPage.name}"]`).boundingBox())!;
      for (const visual of reportPage.visuals) {
        const shown = (await page.locator(`[data-page="${reportPage.name}"] [data-visual="${visual.name}"]`).boundingBox())!;
        expect(shown).not.toBeNull();
        expect({
          name: visual.name,
          x: Math.round(shown.x - canvas.x),
          y: Math.round(shown.y - canvas.y),
          width: Math.round(shown.width),
          height: Math.round(shown.height),
        }).toEqual({
          name: visual.name,
          ...{ x: visual.position.x, y: visual.position.y, width: visual.position.width, height: visual.position.height },
        });
      }
    }
  });

  it('page 1 shows the all-time rows: total, bars in rank order, every top row', async () => {
    const rows = allTime();
    const total = rows.reduce((sum, row) => sum + Number(row['item_count']), 0);
    expect(await page.getAttribute('[data-page="overview"] [data-visual="totalCard"] .card-value', 'data-value')).toBe(
      total.toLocaleString('en-US'),
    );
    expect(await page.getAttribute('[data-page="overview"] [data-visual="windowSlicer"] .dropdown', 'data-selected')).toBe('all');
    expect(await page.getAttribute('[data-page="overview"] [data-visual="topRowsTable"] table', 'data-rows')).toBe(String(rows.length));

    // Best (lowest) rank of each item over the locations, then the bars must follow it.
    const best = new Map<string, number>();
    for (const row of rows)
      best.set(String(row['item_name']), Math.min(best.get(String(row['item_name'])) ?? Infinity, Number(row['item_rank'])));
    const bars = await page
      .locator('[data-page="overview"] [data-visual="itemsBarChart"] .bar-row')
      .evaluateAll((elements) =>
        elements.map((element) => (element as unknown as { getAttribute(name: string): string | null }).getAttribute('data-name') ?? ''),
      );
    expect(bars.length).toBeGreaterThan(3);
    const ranks = bars.map((name) => best.get(name)!);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('page 2 shows the hourly rows of one location, one line per item', async () => {
    const hourly = data.topItems.filter((row) => row['window'] !== 'all');
    const names = new Map(
      data.locations.map((location) => [String(location['geographical_location_oid']), String(location['geographical_location'])]),
    );
    const first = [...new Set(hourly.map((row) => names.get(String(row['geographical_location_oid']))!))].sort()[0]!;
    expect(await page.getAttribute('[data-page="trend"] [data-visual="locationSlicer"] .dropdown', 'data-selected')).toBe(first);
    const items = new Set(
      hourly.filter((row) => names.get(String(row['geographical_location_oid'])) === first).map((row) => row['item_name']),
    );
    expect(await page.locator('[data-page="trend"] [data-visual="hourlyLineChart"] polyline.series').count()).toBe(items.size);
  });
});
