// Charts for the dashboard as plain SVG (no chart library): horizontal bars
// (defects by category, by contractor) and the trend of open defects across
// rounds. Every bar and point carries its number (a <title> and data-value),
// so a reader can hover for it and a test can compare it with the tables.
// Also where the chart data comes from: a report table's column, and the
// trend (the report's own `trend` when the server sends it, else one point
// per round from each round's summary).

import { Html, html } from '../shared/dom.js';
import type { Cell, Report, Table } from './report.js';

export interface Bar { key: string; label: string; value: number }
export interface TrendPoint { round: number; as_of: string; found: number; open: number; overdue: number }

/** Bars from a report table: one per row, `column`'s value, labelled in `lang`. */
export function barsFromTable(table: Table | undefined, column: string, lang: 'en' | 'zh-CN'): Bar[] {
  if (!table) return [];
  const at = (key: string) => table.columns.findIndex(c => c.key === key);
  const value = at(column), name = at(lang === 'zh-CN' ? 'name_zh' : 'name_en');
  if (value < 0) return [];
  return table.rows.map((row: Cell[]) => ({
    key: String(row[0]),
    label: String((name >= 0 ? row[name] : null) || row[0]),
    value: typeof row[value] === 'number' ? (row[value] as number) : 0,
  }));
}

/** A horizontal bar chart; the longest bar is the largest value. Every value escaped. */
export function barChart(bars: Bar[], testid: string): Html {
  const rowH = 22, labelW = 150, barW = 300, numW = 50;
  const max = Math.max(1, ...bars.map(b => b.value));
  const rows = bars.map((b, i) => {
    const y = i * rowH, w = Math.round((b.value / max) * barW);
    return html`<g data-testid="bar" data-key="${b.key}" data-value="${b.value}"><title>${b.label}: ${b.value}</title><text x="${labelW - 6}" y="${y + 15}" text-anchor="end" font-size="12">${b.label}</text><rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="#2f6fdb" /><text x="${labelW + w + 4}" y="${y + 15}" font-size="12">${b.value}</text></g>`;
  });
  const height = Math.max(rowH, bars.length * rowH);
  return html`<svg data-testid="${testid}" class="chart" viewBox="0 0 ${labelW + barW + numW} ${height}" width="${labelW + barW + numW}" height="${height}">${rows}</svg>`;
}

/** The open (and overdue) defects per round as lines, with the found count as a label. */
export function trendChart(points: TrendPoint[], labels: { open: string; overdue: string; round: (n: number) => string }): Html {
  const W = 500, H = 200, pad = 30;
  const max = Math.max(1, ...points.map(p => Math.max(p.open, p.overdue, p.found)));
  const x = (i: number) => pad + (points.length <= 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (points.length - 1));
  const y = (v: number) => H - pad - (v / max) * (H - 2 * pad);
  const line = (pick: (p: TrendPoint) => number, colour: string) =>
    html`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map((p, i) => `${x(i)},${y(pick(p))}`).join(' ')}" />`;
  const dots = points.map((p, i) =>
    html`<g data-testid="trend-point" data-round="${p.round}" data-open="${p.open}" data-overdue="${p.overdue}" data-found="${p.found}"><title>${labels.round(p.round)}: ${labels.open} ${p.open}, ${labels.overdue} ${p.overdue}</title><circle cx="${x(i)}" cy="${y(p.open)}" r="4" fill="#2f6fdb" /><circle cx="${x(i)}" cy="${y(p.overdue)}" r="3" fill="#d9480f" /><text x="${x(i)}" y="${y(p.open) - 8}" text-anchor="middle" font-size="12">${p.open}</text><text x="${x(i)}" y="${H - 8}" text-anchor="middle" font-size="12">${labels.round(p.round)}</text></g>`);
  return html`<svg data-testid="trend-chart" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"><line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999" />${line(p => p.open, '#2f6fdb')}${line(p => p.overdue, '#d9480f')}${dots}<text x="${W - pad}" y="14" text-anchor="end" font-size="12" fill="#2f6fdb">● ${labels.open}</text><text x="${W - pad}" y="30" text-anchor="end" font-size="12" fill="#d9480f">● ${labels.overdue}</text></svg>`;
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
