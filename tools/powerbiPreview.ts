/**
 * `npm run powerbi:preview`: draws powerbi/report-preview.png, a labelled mock-up of the Power BI
 * report, from the report definition itself (PBIR pages and visuals) and rows of the OData feed, in
 * Debian's Chromium. Without --url it starts a temporary local runtime and feeds it generated
 * detections; with --url it reads an already running runtime (e.g. `npm start` + `npm run simulate`).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { optionsOrHelp, type OptionSpec, runTool } from './lib/cli';
import { feedRuntime, readFeed, startTemporaryRuntime } from './lib/powerbi/feed';
import { renderPreview } from './lib/powerbi/previewHtml';
import { POWERBI_DIR, readReport } from './lib/powerbi/report';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/chromium';

const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'url',
    kind: 'string',
    placeholder: '<runtime URL>',
    description: 'A running runtime (http://127.0.0.1:7071); default: start a temporary one.',
  },
  {
    name: 'events',
    kind: 'integer',
    placeholder: '<n>',
    min: 100,
    max: 1_000_000,
    default: 6000,
    description: 'Detections to feed a temporary runtime.',
  },
  { name: 'seed', kind: 'integer', placeholder: '<n>', default: 16, description: 'Generator seed for a temporary runtime.' },
  {
    name: 'out',
    kind: 'string',
    placeholder: '<file.png>',
    default: join(POWERBI_DIR, 'report-preview.png'),
    description: 'Where to write the PNG.',
  },
  { name: 'html', kind: 'string', placeholder: '<file.html>', description: 'Also write the HTML drawn.' },
];

/** Renders the preview HTML in Chromium and writes a full-page PNG. */
export async function screenshot(html: string, out: string): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1328, height: 800 } });
    await page.setContent(html, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const options = optionsOrHelp(process.argv.slice(2), OPTIONS, {
    usage: 'npm run powerbi:preview -- [options]',
    summary: 'Draws powerbi/report-preview.png from the PBIR report definition and the OData feed.',
  });
  if (!options) return;
  const given = options.optionalString('url');
  const runtime = given ? undefined : await startTemporaryRuntime();
  try {
    const url = given ?? runtime!.url;
    if (runtime) await feedRuntime(url, options.number('events'), options.number('seed'));
    const data = await readFeed(`${url.replace(/\/$/, '')}/api/odata/`);
    const html = renderPreview(readReport(), { ...data, source: runtime ? 'a temporary local runtime fed by the simulator' : data.source });
    const htmlOut = options.optionalString('html');
    if (htmlOut) writeFileSync(htmlOut, html);
    await screenshot(html, options.string('out'));
    console.log(`wrote ${options.string('out')} (${data.topItems.length} TopItems rows, ${data.locations.length} locations)`);
  } finally {
    await runtime?.stop();
  }
}

if (require.main === module) runTool(main);
