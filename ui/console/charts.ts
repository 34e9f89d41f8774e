// Charts for the dashboard as plain SVG (no chart library): horizontal bars
// (defects by category, by contractor), largest first, and line charts of
// open and overdue defects across rounds and week by week. Every bar and
// point carries its number (printed beside it, in a <title> and in
// data-*), so a reader sees it and a test can compare it with the tables.
// Labels are never cut: the chart is sized to its longest label, and a
// label longer than a column's limit wraps onto more lines (the row grows).
// Also where the chart data comes from: a report table's column, and the
// trend (the report's own `trend` when the server sends it, else one point
// per round from each round's summary).

import { Html, html } from '../shared/dom.js';
import type { Cell, Report, Table } from './report.js';
// Server JSON: types generated from the OpenAPI document.
import type { TrendPoint, WeekPoint } from '../shared/api-types.js';

export interface Bar { key: string; label: string; value: number }
export type { TrendPoint, WeekPoint };

export const FONT = 12;
/** The widest a bar chart's label column grows before its labels wrap. */
export const MAX_LABEL = 230;

/**
 * The width `text` takes at `size` px, estimated on the generous side from
 * the kind of each character (CJK full width, Latin capitals and digits
 * wider than lower case), so that a box sized by it always holds the text.
 */
export function textWidth(text: string, size = FONT): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    // CJK, full-width forms, and symbols (●, ※, arrows) that CJK fonts draw a full em wide.
    if (c >= 0x2000) em += 1.02;
    else if (/[A-Z]/.test(ch)) em += ch === 'W' || ch === 'M' ? 0.95 : 0.72;
    else if (/[a-z]/.test(ch)) em += ch === 'm' || ch === 'w' ? 0.86 : ch === 'i' || ch === 'l' || ch === 'j' ? 0.3 : 0.6;
    else if (/[0-9]/.test(ch)) em += 0.62;
    else if (ch === ' ') em += 0.3;
    else em += 0.62;
  }
  return Math.ceil(em * size * 1.08);
}

/**
 * `text` in lines no wider than `width`: broken at spaces where it has
 * them, else between any two characters (Chinese has no spaces), never
 * shortened.
 */
export function wrapText(text: string, width: number, size = FONT): string[] {
  if (textWidth(text, size) <= width) return [text];
  const words = text.includes(' ') ? text.split(' ') : [...text];
  const sep = text.includes(' ') ? ' ' : '';
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? line + sep + w : w;
    if (line && textWidth(next, size) > width) { lines.push(line); line = w; } else line = next;
    // A single word wider than the column: split it between characters.
    while (textWidth(line, size) > width && line.length > 1) {
      let cut = line.length - 1;
      while (cut > 1 && textWidth(line.slice(0, cut), size) > width) cut--;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Bars from a report table: one per row, `column`'s value, labelled in `lang`, largest first. */
export function barsFromTable(table: Table | undefined, column: string, lang: 'en' | 'zh-CN'): Bar[] {
  if (!table) return [];
  const at = (key: string) => table.columns.findIndex(c => c.key === key);
  const value = at(column), name = at(lang === 'zh-CN' ? 'name_zh' : 'name_en');
  if (value < 0) return [];
  return sortBars(table.rows.map((row: Cell[]) => ({
    key: String(row[0]),
    label: String((name >= 0 ? row[name] : null) || row[0]),
    value: typeof row[value] === 'number' ? (row[value] as number) : 0,
  })));
}

/** Largest first; equal values by label, so the order is the same every time. */
export function sortBars(bars: Bar[]): Bar[] {
  return [...bars].sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
}

/** A horizontal bar chart, in the order given; the longest bar is the largest value. Every value escaped. */
export function barChart(bars: Bar[], testid: string): Html {
  const lineH = 15, barW = 300, gap = 8;
  const lines = bars.map(b => wrapText(b.label, MAX_LABEL));
  const labelW = Math.max(40, ...lines.flat().map(l => textWidth(l)));
  const numW = Math.max(...bars.map(b => textWidth(String(b.value))), textWidth('0')) + gap;
  const max = Math.max(1, ...bars.map(b => b.value));
  let y = 0;
  const rows = bars.map((b, i) => {
    const rowH = Math.max(22, lines[i].length * lineH + 7);
    const top = y;
    y += rowH;
    const w = Math.round((b.value / max) * barW);
    const mid = top + rowH / 2;
    const first = mid - ((lines[i].length - 1) * lineH) / 2 + 4;
    // Anchored a little inside the column: a glyph's ink may reach past its advance.
    const label = lines[i].map((l, j) => html`<tspan x="${labelW - 3}" y="${first + j * lineH}">${l}</tspan>`);
    return html`<g data-testid="bar" data-key="${b.key}" data-value="${b.value}"><title>${b.label}: ${b.value}</title><text data-testid="chart-label" data-box="0 ${labelW}" x="${labelW - 3}" y="${first}" text-anchor="end" font-size="${FONT}">${label}</text><rect x="${labelW + gap}" y="${mid - 8}" width="${w}" height="16" fill="#2f6fdb" /><text data-testid="chart-label" data-box="${labelW + gap + w + 4} ${labelW + gap + barW + numW}" x="${labelW + gap + w + 4}" y="${mid + 4}" font-size="${FONT}">${b.value}</text></g>`;
  });
  const width = labelW + gap + barW + numW;
  const height = Math.max(22, y);
  return html`<svg data-testid="${testid}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${rows}</svg>`;
}

/** One line of a line chart: its name, colour, and a value per point. */
export interface Series { key: string; label: string; colour: string; values: number[] }

/** What a line chart point carries beyond its values: a test id and data-* attributes, and its <title>. */
export interface PointMeta { testid: string; data: Record<string, string | number>; title: string }

/**
 * A line chart: a line per series with every value printed at its point
 * (the first series above its points, the others below), the x labels
 * under the axis, and a legend; as wide as its labels need.
 */
export function lineChart(xLabels: string[], series: Series[], meta: PointMeta[], testid: string): Html {
  // Room above the plot for the legend and the first series' numbers, below it for the others' and the x labels.
  const top = 44, bottom = 44, left = 16, right = 16, plotH = 150;
  const widest = Math.max(0, ...xLabels.map(l => textWidth(l)), ...series.flatMap(s => s.values.map(v => textWidth(String(v)))));
  const step = Math.max(48, widest + 12);
  const n = xLabels.length;
  const legendW = series.reduce((w, s) => w + textWidth(`● ${s.label}`) + 16, 0);
  const width = Math.max(left + right + n * step, legendW + left + right);
  const height = top + plotH + bottom;
  const max = Math.max(1, ...series.flatMap(s => s.values));
  const x = (i: number) => left + step / 2 + i * step;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const lines = series.map(s =>
    html`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}" />`);
  const box = (cx: number, text: string) => `${cx - textWidth(text) / 2} ${cx + textWidth(text) / 2}`;
  const points = xLabels.map((label, i) => {
    const m = meta[i];
    const attrs = Object.entries(m.data).map(([k, v]) => html` data-${k}="${v}"`);
    const marks = series.map((s, j) => {
      const v = s.values[i], cy = y(v), ty = j === 0 ? cy - 8 : cy + 15;
      return html`<circle cx="${x(i)}" cy="${cy}" r="${j === 0 ? 4 : 3}" fill="${s.colour}" /><text data-testid="chart-label" data-box="${box(x(i), String(v))}" x="${x(i)}" y="${ty}" text-anchor="middle" font-size="${FONT}" fill="${s.colour}">${v}</text>`;
    });
    return html`<g data-testid="${m.testid}"${attrs}><title>${m.title}</title>${marks}<text data-testid="chart-label" data-box="${box(x(i), label)}" x="${x(i)}" y="${height - 10}" text-anchor="middle" font-size="${FONT}">${label}</text></g>`;
  });
  let lx = left;
  const legend = series.map(s => {
    const text = `● ${s.label}`, at = lx;
    lx += textWidth(text) + 16;
    return html`<text data-testid="chart-label" data-box="${at} ${at + textWidth(text)}" x="${at}" y="16" font-size="${FONT}" fill="${s.colour}">${text}</text>`;
  });
  return html`<svg data-testid="${testid}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#999" />${legend}${lines}${points}</svg>`;
}

export interface TrendLabels { open: string; overdue: string; round: (n: number) => string; found: string; closed: string }

/** Open and overdue defects at the end of each round, each number printed at its point. */
export function trendChart(points: TrendPoint[], labels: TrendLabels): Html {
  return lineChart(points.map(p => labels.round(p.round)), [
    { key: 'open', label: labels.open, colour: '#2f6fdb', values: points.map(p => p.open) },
    { key: 'overdue', label: labels.overdue, colour: '#d9480f', values: points.map(p => p.overdue) },
  ], points.map(p => ({
    testid: 'trend-point', data: { round: p.round, open: p.open, overdue: p.overdue, found: p.found },
    title: `${labels.round(p.round)}: ${labels.open} ${p.open}, ${labels.overdue} ${p.overdue}, ${labels.found} ${p.found}`,
  })), 'trend-chart');
}

/** Open and overdue defects at the end of each local week (its Monday as MM-DD; the year in the title). */
export function weeksChart(weeks: WeekPoint[], labels: TrendLabels & { week: (day: string) => string }): Html {
  return lineChart(weeks.map(w => w.week_start.slice(5)), [
    { key: 'open', label: labels.open, colour: '#2f6fdb', values: weeks.map(w => w.open) },
    { key: 'overdue', label: labels.overdue, colour: '#d9480f', values: weeks.map(w => w.overdue) },
  ], weeks.map(w => ({
    testid: 'week-point', data: { week: w.week_start, open: w.open, overdue: w.overdue, found: w.found, closed: w.closed },
    title: `${labels.week(w.week_start)}: ${labels.open} ${w.open}, ${labels.overdue} ${w.overdue}, ${labels.found} ${w.found}, ${labels.closed} ${w.closed}`,
  })), 'weeks-chart');
}

/** A metric of a report's summary (its "this report" value). */
export function summaryValue(report: Report, metric: string): number {
  const row = report.tables.find(t => t.key === 'summary')?.rows.find(r => r[0] === metric);
  return typeof row?.[3] === 'number' ? row[3] : 0;
}

/** One trend point from a round's report. */
export function trendPoint(report: Report): TrendPoint {
  return {
    round: report.round, as_of: report.as_of, found: summaryValue(report, 'defects_found'),
    open: summaryValue(report, 'open_defects'), overdue: summaryValue(report, 'overdue'),
  };
}

/**
 * The trend of a project: the report's `trend` when the server sends it;
 * otherwise each started round's report, fetched with `fetchRound`.
 */
export async function loadTrend(report: Report & { trend?: TrendPoint[] }, startedRounds: number[],
  fetchRound: (round: number) => Promise<Report>): Promise<TrendPoint[]> {
  if (Array.isArray(report.trend)) return report.trend;
  const reports = await Promise.all(startedRounds.map(fetchRound));
  return reports.map(trendPoint);
}
