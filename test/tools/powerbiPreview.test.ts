import { MEASURES, type PreviewData } from '../../tools/lib/powerbi/preview';
import { pageRows, renderPreview } from '../../tools/lib/powerbi/previewHtml';
import { readReport } from '../../tools/lib/powerbi/report';
import { readModel } from '../../tools/lib/powerbi/tmdl';

const row = (window: string, oid: string, rank: number, item: string, count: number) => ({
  id: `${window}|${oid}|${rank}`,
  geographical_location_oid: oid,
  geographical_location: null,
  item_rank: rank,
  item_name: item,
  item_count: String(count),
  window,
  window_start: window === 'all' ? null : `${window.slice(5)}:00:00Z`,
  window_end: null,
  updated_at: '2026-11-22T10:31:07.120Z',
});

const DATA: PreviewData = {
  source: 'test rows',
  locations: [
    { geographical_location_oid: '9007199254740993', geographical_location: 'Main Square' },
    { geographical_location_oid: '2', geographical_location: 'Station Road' },
  ],
  topItems: [
    row('all', '9007199254740993', 1, 'car', 50),
    row('all', '9007199254740993', 2, 'bus', 30),
    row('all', '2', 1, 'dog', 20),
    row('hour:2026-11-22T09', '9007199254740993', 1, 'car', 10),
    row('hour:2026-11-22T10', '9007199254740993', 1, 'bus', 12),
    row('hour:2026-11-22T10', '2', 1, 'dog', 7),
  ],
};

describe('Power BI report preview', () => {
  const report = readReport();

  it('evaluates every measure of the model', () => {
    const measures = readModel().tables.flatMap((table) => table.measures.map((measure) => measure.name));
    expect(Object.keys(MEASURES).sort()).toEqual([...measures].sort());
  });

  it('applies the saved window selection on page 1 and the page filter plus a forced location on page 2', () => {
    const overview = pageRows(report[0]!, DATA);
    expect(overview.rows.map((r) => r({ kind: 'column', table: 'TopItems', name: 'id' }))).toEqual([
      'all|9007199254740993|1',
      'all|9007199254740993|2',
      'all|2|1',
    ]);
    const trend = pageRows(report[1]!, DATA);
    expect(trend.slicers.map((s) => s.selected)).toEqual([['Main Square']]);
    expect(trend.rows.map((r) => r({ kind: 'column', table: 'TopItems', name: 'window' }))).toEqual([
      'hour:2026-11-22T09',
      'hour:2026-11-22T10',
    ]);
  });

  it('draws every visual with what it shows: totals, share, last update, bars by best rank', () => {
    const html = renderPreview(report, DATA);
    for (const visual of report.flatMap((page) => page.visuals)) expect(html).toContain(`data-visual="${visual.name}"`);
    expect(html).toContain('data-value="100"');
    expect(html).toContain('data-value="70.0%"');
    expect(html).toContain('data-value="2026-11-22 10:31:07"');
    const bars = [...html.matchAll(/class="bar-row" data-name="([^"]+)"/g)].map((m) => m[1]);
    expect(bars).toEqual(['car', 'dog', 'bus']);
  });

  it('escapes names from the feed', () => {
    const hostile = { ...DATA, topItems: [row('all', '2', 1, '<img src=x onerror=alert(1)>', 3)] };
    expect(renderPreview(report, hostile)).not.toContain('<img');
  });
});
