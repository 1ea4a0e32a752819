/**
 * Draws the report preview as HTML: one absolutely positioned box per PBIR visual, at the visual's
 * position and size, filled with what that visual would show for the slicer selections saved in the
 * report. Pages are stacked under a banner that says it is a mock-up.
 */
import { escape, evaluate, format, groups, literal, PALETTE, type PreviewData, type Row, rowReaders, type Value } from './preview';
import { type FieldRef, type Page, type Visual } from './report';

export interface SlicerState {
  readonly visual: string;
  readonly field: FieldRef;
  /** The selected values; empty means all. */
  readonly selected: readonly Value[];
}

/** The selection each slicer of the page starts with: its saved selection, or the first value when it forces one. */
export function slicerStates(page: Page, rows: readonly Row[]): SlicerState[] {
  return page.visuals
    .filter((visual) => visual.type === 'slicer')
    .map((visual) => {
      const field = visual.projections[0]!.field;
      let selected: Value[] = visual.preset.map(literal);
      if (selected.length === 0 && visual.forceSelection) {
        const values = [...new Set(rows.map((row) => row(field)))].filter((value) => value !== null).sort();
        selected = values.slice(0, 1);
      }
      return { visual: visual.name, field, selected };
    });
}

/** The rows a page's visuals see: page filters and slicer selections applied. */
export function pageRows(page: Page, data: PreviewData): { rows: Row[]; slicers: SlicerState[] } {
  const all = rowReaders(data).filter((row) => page.excludes.every(({ field, values }) => !values.map(literal).includes(row(field))));
  const slicers = slicerStates(page, all);
  const rows = all.filter((row) => slicers.every(({ field, selected }) => selected.length === 0 || selected.includes(row(field))));
  return { rows, slicers };
}

function box(visual: Visual, body: string): string {
  const { x, y, width, height, z } = visual.position;
  return (
    `<div class="visual ${visual.type}" data-visual="${escape(visual.name)}" data-type="${escape(visual.type)}" ` +
    `style="left:${x}px;top:${y}px;width:${width}px;height:${height}px;z-index:${Math.round(z / 1000)}">` +
    `<div class="title">${escape(visual.title)}</div><div class="body">${body}</div></div>`
  );
}

function slicer(visual: Visual, state: SlicerState | undefined): string {
  const shown = state && state.selected.length > 0 ? state.selected.map((value) => format(value, state.field)).join(', ') : 'All';
  return `<div class="dropdown" data-selected="${escape(shown)}">${escape(shown)}<span class="chevron">&#8964;</span></div>`;
}

function card(visual: Visual, rows: readonly Row[]): string {
  const field = visual.projections[0]!.field;
  const value = format(evaluate(field, rows), field);
  // Power BI shrinks a card's callout to fit its box; about 0.6 em per character.
  const size = Math.min(30, Math.floor((visual.position.width - 24) / (value.length * 0.6)));
  return `<div class="card-value" style="font-size:${size}px" data-value="${escape(value)}">${escape(value)}</div><div class="card-label">${escape(field.name)}</div>`;
}

function barChart(visual: Visual, rows: readonly Row[]): string {
  const category = visual.projections.find((p) => p.role === 'Category')!.field;
  const measure = visual.projections.find((p) => p.role === 'Y')!.field;
  const bars = groups(visual, rows).map((group) => ({
    name: group.key[0] ?? null,
    value: Number(group.values.get(JSON.stringify(measure)) ?? 0),
  }));
  const fit = Math.max(1, Math.floor((visual.position.height - 70) / 26));
  const top = Math.max(1, ...bars.map((bar) => bar.value));
  const drawn = bars
    .slice(0, fit)
    .map(
      (bar) =>
        `<div class="bar-row" data-name="${escape(String(bar.name))}" data-value="${bar.value}">` +
        `<span class="bar-label">${escape(format(bar.name, category))}</span>` +
        `<span class="bar" style="width:${((bar.value / top) * 62).toFixed(2)}%"></span>` +
        `<span class="bar-value">${escape(format(bar.value, measure))}</span></div>`,
    );
  const more = bars.length > fit ? `<div class="more">+ ${bars.length - fit} more (scroll)</div>` : '';
  return `<div class="axis-note">${escape(visual.projections.find((p) => p.role === 'Y')!.label)} by ${escape(category.name)}</div>${drawn.join('')}${more}`;
}

function table(visual: Visual, rows: readonly Row[]): string {
  const head = visual.projections.map((p) => `<th>${escape(p.label)}</th>`).join('');
  const fit = Math.max(1, Math.floor((visual.position.height - 70) / 22));
  const all = groups(visual, rows);
  const body = all
    .slice(0, fit)
    .map(
      (group) =>
        `<tr>${visual.projections.map((p) => `<td>${escape(format(group.values.get(JSON.stringify(p.field)) ?? null, p.field))}</td>`).join('')}</tr>`,
    )
    .join('');
  const more = all.length > fit ? `<div class="more">+ ${all.length - fit} more rows (scroll)</div>` : '';
  return `<table data-rows="${all.length}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${more}`;
}

function lineChart(visual: Visual, rows: readonly Row[]): string {
  const x = visual.projections.find((p) => p.role === 'Category')!.field;
  const y = visual.projections.find((p) => p.role === 'Y')!.field;
  const series = visual.projections.find((p) => p.role === 'Series')?.field;
  const categories = [...new Set(rows.map((row) => row(x)))].filter((value) => value !== null).sort();
  const names = series ? [...new Set(rows.map((row) => row(series)))].sort() : [null];
  const width = visual.position.width - 180;
  const height = visual.position.height - 90;
  const points = names.map((name) =>
    categories.map((category) =>
      Number(
        evaluate(
          y,
          rows.filter((row) => row(x) === category && (!series || row(series) === name)),
        ) ?? 0,
      ),
    ),
  );
  const top = Math.max(1, ...points.flat());
  const px = (i: number): number => 40 + (categories.length > 1 ? (i / (categories.length - 1)) * (width - 80) : width / 2);
  const py = (v: number): number => 10 + (1 - v / top) * (height - 40);
  const lines = points.map(
    (values, s) =>
      `<polyline class="series" data-series="${escape(String(names[s]))}" fill="none" stroke="${PALETTE[s % PALETTE.length]!}" stroke-width="2" ` +
      `points="${values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`,
  );
  const labels = categories.map(
    (c, i) => `<text x="${px(i).toFixed(1)}" y="${height - 8}" text-anchor="middle">${escape(format(c, x).slice(11))}</text>`,
  );
  const legend = names.map(
    (name, s) =>
      `<div><span class="swatch" style="background:${PALETTE[s % PALETTE.length]!}"></span>${escape(format(name, series ?? x))}</div>`,
  );
  return (
    `<div class="line-wrap"><svg width="${width}" height="${height}" data-points="${categories.length}"><text x="4" y="14">${escape(format(top, y))}</text>` +
    `<line x1="40" x2="${width - 10}" y1="${py(0)}" y2="${py(0)}" stroke="#c8c6c4"/>${lines.join('')}${labels.join('')}</svg>` +
    `<div class="legend">${legend.join('')}</div></div><div class="axis-note">${escape(y.name)} per hour (UTC) of ${escape(format(categories[0] ?? null, x))} … by ${escape(series?.name ?? '')}</div>`
  );
}

function visualHtml(visual: Visual, rows: readonly Row[], slicers: readonly SlicerState[]): string {
  switch (visual.type) {
    case 'slicer':
      return box(
        visual,
        slicer(
          visual,
          slicers.find((state) => state.visual === visual.name),
        ),
      );
    case 'card':
      return box(visual, card(visual, rows));
    case 'barChart':
      return box(visual, barChart(visual, rows));
    case 'tableEx':
      return box(visual, table(visual, rows));
    case 'lineChart':
      return box(visual, lineChart(visual, rows));
    default:
      throw new Error(`the preview cannot draw a ${visual.type} (visual ${visual.name})`);
  }
}

const STYLE = `
body{margin:0;background:#e1dfdd;font-family:"Segoe UI","DejaVu Sans",Arial,sans-serif;color:#252423}
.banner{background:#fff4ce;border-bottom:2px solid #d9b300;padding:10px 24px;font-size:15px}
.banner b{color:#8a6d00;letter-spacing:.08em}
.tab{margin:18px 24px 6px;font-size:14px;font-weight:600}.tab span{font-weight:400;color:#605e5c}
.page{position:relative;margin:0 24px 12px;background:#fff;box-shadow:0 1px 4px rgba(0,0,0,.2);overflow:hidden}
.visual{position:absolute;box-sizing:border-box;border:1px solid #e1dfdd;border-radius:4px;padding:8px 10px;background:#fff;overflow:hidden}
.title{font-size:14px;font-weight:600;margin-bottom:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.dropdown{border:1px solid #8a8886;border-radius:2px;padding:4px 8px;font-size:13px;display:flex;justify-content:space-between}
.card-value{font-weight:600;color:#252423;text-align:center;margin-top:4px;white-space:nowrap}.card-label{text-align:center;font-size:12px;color:#605e5c}
.bar-row{display:flex;align-items:center;height:26px;font-size:12px}.bar-label{width:110px;text-align:right;padding-right:8px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.bar{display:inline-block;height:17px;background:#118DFF}.bar-value{padding-left:6px;color:#605e5c}
.axis-note,.more{font-size:11px;color:#605e5c;margin:2px 0 6px}
table{border-collapse:collapse;width:100%;font-size:12px}th{text-align:left;border-bottom:2px solid #118DFF;padding:3px 6px}td{padding:3px 6px;border-bottom:1px solid #edebe9;height:15px}
svg text{font-size:10px;fill:#605e5c}.line-wrap{display:flex}.legend{font-size:12px;padding-left:10px}.legend div{margin:3px 0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}`;

/** The whole preview document: banner, then each page with its visuals. */
export function renderPreview(pages: readonly Page[], data: PreviewData): string {
  const body = pages.map((page, index) => {
    const { rows, slicers } = pageRows(page, data);
    const visuals = page.visuals.map((visual) => visualHtml(visual, rows, slicers)).join('\n');
    return (
      `<div class="tab">Page ${index + 1}: ${escape(page.displayName)} <span>(${escape(page.name)})</span></div>` +
      `<div class="page" data-page="${escape(page.name)}" style="width:${page.width}px;height:${page.height}px">${visuals}</div>`
    );
  });
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>CameraTopItems report preview</title><style>${STYLE}</style></head><body>` +
    `<div class="banner" data-testid="preview-label"><b>PREVIEW — NOT A POWER BI SCREENSHOT.</b> A mock-up of CameraTopItems.Report drawn by ` +
    `<code>npm run powerbi:preview</code> from the report definition (PBIR positions, fields, sorting, saved slicer selections) ` +
    `with rows from ${escape(data.source)}.</div>${body.join('\n')}</body></html>`
  );
}
