// The round report as the server sends it (GET /projects/{p}/reports/{round}),
// and how the dashboard shows its cells. No rate is computed here: every
// number comes from the server, which takes them from the core's KPIs.


// Server JSON: types generated from the OpenAPI document.
import type { Column, DrillItem, Kind, RoundReport, Table } from '../shared/api-types.js';
export type { Kind, Column, Table, DrillItem };
export type Report = RoundReport;
export type Cell = string | number | null;

/** The report's days to handover in words (the number itself for a report issued before the words existed). */
export function countdownText(report: Report, pick: (t: { zh: string; en: string }) => string): string {
  return report.countdown?.zh ? pick(report.countdown) : String(report.days_to_handover);
}

/** Metrics of the summary whose values are rates. */
export const SUMMARY_RATES = new Set(['unit_pass_rate', 'item_pass_rate', 'closed_rate', 'timely_rate']);

/** A cell as text: rates as percentages with one decimal, no value as "—". */
export function formatCell(value: Cell, kind: Kind): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && kind === 'rate') return `${(value * 100).toFixed(1)}%`;
  return String(value);
}

/** The kind of a cell, the summary's value columns taking their row's kind. */
export function cellKind(table: Table, row: Cell[], column: number): Kind {
  const kind = table.columns[column].kind;
  if (table.key === 'summary' && kind === 'number' && SUMMARY_RATES.has(String(row[0]))) return 'rate';
  return kind;
}

/** The columns to show in `lang`: the name in that language, never the other one. */
export function visibleColumns(table: Table, lang: 'en' | 'zh-CN'): number[] {
  const hide = lang === 'zh-CN' ? ['name_en', 'answer_en'] : ['name_zh', 'answer_zh'];
  const named = table.columns.some(c => c.key === 'name_zh');
  // A unit's code is for machines: where the table names its building and door number, the code is not shown.
  const numbered = table.columns.some(c => c.key === 'number');
  return table.columns.map((c, i) => [c, i] as const)
    .filter(([c, i]) => !hide.includes(c.key) && !(named && i === 0) && !(numbered && c.key === 'unit'))
    .map(([, i]) => i);
}

/** Report rounds to offer: each planned round, then cumulative. */
export function roundChoices(rounds: number): string[] {
  return [...Array.from({ length: rounds }, (_, i) => String(i + 1)), 'cumulative'];
}
