/**
 * Renders the Grafana dashboard's panels (docs/monitoring/grafana-dashboard.json) as one SVG, from
 * query results a real Prometheus returned: line charts for range queries, bars for instant ones.
 * No dependency: plain SVG text. The README's picture (docs/monitoring/dashboard.svg) is made by
 * the monitoring e2e test from the traffic it sends to the sample app:
 *
 * ```bash
 * WRITE_DASHBOARD_SVG=1 npx jest test/monitoring/prometheus.e2e-spec.ts
 * ```
 */

/** One series of a panel: its legend and its `[unix seconds, value]` points. */
export interface RenderedSeries {
  name: string;
  points: Array<[number, number]>;
}

/** One panel: lines over time, or bars (one value per series). */
export interface RenderedPanel {
  title: string;
  kind: 'lines' | 'bars';
  /** How values read: `reqps` (per second), `s` (seconds), `state` (0 closed / 1 open) or `short`. */
  unit: string;
  series: RenderedSeries[];
}

const PANEL_W = 470;
const PANEL_H = 250;
const GAP = 14;
const COLUMNS = 2;
const PLOT = { left: 56, right: 14, top: 34, bottom: 74 };
const COLORS = [
  '#73bf69',
  '#f2495c',
  '#5794f2',
  '#ff9830',
  '#b877d9',
  '#fade2a',
  '#8ab8ff',
  '#ff7383',
];
const MAX_LEGEND = 6;

/** Escapes text for SVG. */
function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A value as the panel's unit reads it. */
function formatValue(value: number, unit: string): string {
  if (unit === 'state') return value >= 1 ? 'open' : 'closed';
  if (unit === 's') return value >= 1 ? `${value.toFixed(2)} s` : `${Math.round(value * 1000)} ms`;
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit === 'reqps' ? `${text}/s` : text;
}

/** A "nice" upper bound for the y axis. */
function niceMax(max: number, unit: string): number {
  if (unit === 'state') return 1;
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= max)!;
  return step * magnitude;
}

/** The time range every line panel spans, in unix seconds. */
export interface RenderedRange {
  start: number;
  end: number;
}

function linesPanel(panel: RenderedPanel, range: RenderedRange, w: number, h: number): string {
  const parts: string[] = [];
  const finite = panel.series.flatMap((s) => s.points.filter(([, v]) => Number.isFinite(v)));
  const { start: t0, end: t1 } = range;
  const yMax = niceMax(Math.max(0, ...finite.map(([, v]) => v)), panel.unit);
  const x = (t: number) => PLOT.left + ((t - t0) / Math.max(1, t1 - t0)) * w;
  const y = (v: number) => PLOT.top + h - (v / yMax) * h;
  const ticks = panel.unit === 'state' ? [0, 1] : [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  for (const tick of ticks) {
    parts.push(
      `<line x1="${PLOT.left}" x2="${PLOT.left + w}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`,
      `<text x="${PLOT.left - 6}" y="${y(tick) + 4}" class="tick" text-anchor="end">${xml(formatValue(tick, panel.unit))}</text>`,
    );
  }
  for (const t of [t0, (t0 + t1) / 2, t1]) {
    const label = new Date(t * 1000).toISOString().slice(11, 19);
    parts.push(
      `<text x="${x(t)}" y="${PLOT.top + h + 16}" class="tick" text-anchor="middle">${label}</text>`,
    );
  }
  panel.series.forEach((series, i) => {
    // A gap (NaN: no data for a quantile) breaks the line.
    let d = '';
    let pen = 'M';
    for (const [t, v] of series.points) {
      if (!Number.isFinite(v)) {
        pen = 'M';
        continue;
      }
      d += `${pen}${x(t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = 'L';
    }
    if (d) {
      parts.push(
        `<path d="${d.trim()}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`,
      );
    }
  });
  if (finite.length === 0) {
    parts.push(
      `<text x="${PLOT.left + w / 2}" y="${PLOT.top + h / 2}" class="empty" text-anchor="middle">no data in this run</text>`,
    );
  }
  return parts.join('');
}

function barsPanel(panel: RenderedPanel, w: number, h: number): string {
  const bars = panel.series
    .map((s) => ({ name: s.name, value: s.points.at(-1)?.[1] ?? 0 }))
    .sort((a, b) => b.value - a.value);
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)), panel.unit);
  const rowH = Math.min(22, h / Math.max(1, bars.length));
  const labelW = 130;
  return bars
    .map((bar, i) => {
      const top = PLOT.top + i * rowH;
      const width = (bar.value / max) * (w - labelW - 50);
      return (
        `<text x="${PLOT.left + labelW - 70}" y="${top + rowH * 0.7}" class="tick" text-anchor="end">${xml(bar.name)}</text>` +
        `<rect x="${PLOT.left + labelW - 64}" y="${top + 2}" width="${Math.max(1, width).toFixed(1)}" height="${(rowH - 5).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>` +
        `<text x="${PLOT.left + labelW - 58 + width}" y="${top + rowH * 0.7}" class="tick">${xml(formatValue(bar.value, panel.unit))}</text>`
      );
    })
    .join('');
}

function legend(panel: RenderedPanel, top: number): string {
  if (panel.kind === 'bars') return '';
  const shown = panel.series.slice(0, MAX_LEGEND);
  const items = shown.map((series, i) => {
    const col = i % 2;
    const row = Math.floor(i / 2);
    const lx = PLOT.left + col * 200;
    const ly = top + row * 15;
    return (
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${lx + 14}" y="${ly - 4}" class="legend">${xml(series.name.slice(0, 30))}</text>`
    );
  });
  if (panel.series.length > MAX_LEGEND) {
    items.push(
      `<text x="${PLOT.left + 400}" y="${top + 30}" class="legend">+${panel.series.length - MAX_LEGEND}</text>`,
    );
  }
  return items.join('');
}

/**
 * The panels as one SVG document (two columns, Grafana's dark colours).
 *
 * @example
 * ```ts
 * writeFileSync('dashboard.svg', renderDashboardSvg('nestjs-captcha', panels, { start, end }));
 * ```
 */
export function renderDashboardSvg(
  title: string,
  panels: RenderedPanel[],
  range: RenderedRange,
  note = '',
): string {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = COLUMNS * PANEL_W + (COLUMNS + 1) * GAP;
  const height = 44 + rows * (PANEL_H + GAP) + GAP;
  const w = PANEL_W - PLOT.left - PLOT.right;
  const h = PANEL_H - PLOT.top - PLOT.bottom;
  const body = panels.map((panel, i) => {
    const px = GAP + (i % COLUMNS) * (PANEL_W + GAP);
    const py = 44 + Math.floor(i / COLUMNS) * (PANEL_H + GAP);
    const chart =
      panel.kind === 'bars' ? barsPanel(panel, w, h + 40) : linesPanel(panel, range, w, h);
    return (
      `<g transform="translate(${px},${py})">` +
      `<rect width="${PANEL_W}" height="${PANEL_H}" rx="3" class="panel"/>` +
      `<text x="12" y="21" class="title">${xml(panel.title)}</text>` +
      chart +
      legend(panel, PLOT.top + h + 38) +
      `</g>`
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">`,
    '<style>.panel{fill:#181b1f;stroke:#2c3235}.title{fill:#ccccdc;font-size:13px;font-weight:600}',
    '.tick{fill:#9fa7b3;font-size:10px}.legend{fill:#ccccdc;font-size:10px}.grid{stroke:#2c3235}',
    '.empty{fill:#6e7580;font-size:12px}.head{fill:#ccccdc;font-size:15px;font-weight:600}.note{fill:#9fa7b3;font-size:11px}</style>',
    `<rect width="${width}" height="${height}" fill="#111217"/>`,
    `<text x="${GAP}" y="27" class="head">${xml(title)}</text>`,
    `<text x="${width - GAP}" y="27" class="note" text-anchor="end">${xml(note)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
