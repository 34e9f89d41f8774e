// The CS center's dashboard: a round's report (or cumulative to date) as a
// web page, the same tables the PDF and the workbook hold, with drill-down
// from a contractor's "failed twice or more" count to the defects behind it.

import { h, mount } from '../shared/dom.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Dicts } from '../shared/i18n.js';
import { Cell, DrillItem, Report, Table, cellKind, formatCell, roundChoices, visibleColumns } from './report.js';

export const DASHBOARD_DICTS: Dicts = {
  en: {
    'nav.dashboard': 'Dashboard', 'dash.round': 'Report', 'dash.roundN': 'Round {n}', 'dash.cumulative': 'Cumulative to date',
    'dash.title': '{scope} · as of {date} · handover {handover} ({days} days)', 'dash.download': 'Download',
    'dash.drillTitle': '{contractor}: {n} items whose repairs failed recheck twice or more',
    'dash.col.unit': 'Unit', 'dash.col.building': 'Building', 'dash.col.room': 'Room', 'dash.col.category': 'Category',
    'dash.col.status': 'Status', 'dash.col.failed': 'Failed rechecks', 'dash.col.deadline': 'First deadline', 'dash.overdue': 'overdue',
    'dash.close': 'Close',
  },
  'zh-CN': {
    'nav.dashboard': '报告看板', 'dash.round': '报告', 'dash.roundN': '第 {n} 轮', 'dash.cumulative': '累计至今',
    'dash.title': '{scope} · 统计截止 {date} · 交付 {handover}（{days} 天）', 'dash.download': '下载',
    'dash.drillTitle': '{contractor}：整改两次及以上复验不合格 {n} 项',
    'dash.col.unit': '房源', 'dash.col.building': '楼栋', 'dash.col.room': '房间', 'dash.col.category': '问题分类',
    'dash.col.status': '状态', 'dash.col.failed': '复验不合格次数', 'dash.col.deadline': '首次整改期限', 'dash.overdue': '已超期',
    'dash.close': '关闭',
  },
};

/** The report chosen last, per project. */
const chosen = new Map<string, string>();

async function download(ctx: Ctx, path: string) {
  const res = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${ctx.api.session?.token}` } });
  if (!res.ok) { ctx.notify(`${res.status} ${res.statusText}`); return; }
  window.open(URL.createObjectURL(await res.blob()), '_blank');
}

function tableView(ctx: Ctx, table: Table, onDrill: (contractor: string, name: string) => void) {
  const lang = ctx.i18n.lang;
  const cols = visibleColumns(table, lang);
  const nameCol = table.columns.findIndex(c => c.key === (lang === 'zh-CN' ? 'name_zh' : 'name_en'));
  const cell = (row: Cell[], i: number) => {
    const column = table.columns[i];
    const text = formatCell(row[i], cellKind(table, row, i));
    if (table.key === 'contractors' && column.key === 'failed_twice_or_more' && typeof row[i] === 'number' && row[i] > 0) {
      const who = String(row[0]);
      return h('td', { 'data-key': column.key, class: 'num' },
        h('button', { class: 'link', testid: 'drill-failed-twice', 'data-contractor': who,
          onclick: () => onDrill(who, nameCol >= 0 ? String(row[nameCol]) : who) }, text));
    }
    return h('td', { 'data-key': column.key, class: column.kind === 'text' ? '' : 'num' }, text);
  };
  return h('section', { class: 'panel', testid: `table-${table.key}` },
    h('h3', {}, lang === 'zh-CN' ? table.zh : table.en),
    h('table', {},
      h('thead', {}, h('tr', {}, cols.map(i => h('th', {}, lang === 'zh-CN' ? table.columns[i].zh : table.columns[i].en)))),
      h('tbody', {}, table.rows.map(row => h('tr', { testid: `row-${table.key}`, 'data-row': String(row[0]) }, cols.map(i => cell(row, i)))))));
}

function drillView(ctx: Ctx, title: string, items: DrillItem[], close: () => void) {
  const t = (k: string) => ctx.i18n.t(k);
  const date = (s: string | null) => (s ? s.slice(0, 10) : '—');
  return h('section', { class: 'panel', testid: 'drill' },
    h('div', { class: 'row' }, h('h3', { testid: 'drill-title', class: 'grow' }, title),
      h('button', { testid: 'drill-close', onclick: close }, t('dash.close'))),
    h('table', {},
      h('thead', {}, h('tr', {}, ['unit', 'building', 'room', 'category', 'status', 'failed', 'deadline'].map(k => h('th', {}, t(`dash.col.${k}`))))),
      h('tbody', {}, items.map(d => h('tr', { testid: 'drill-row', 'data-defect': d.id },
        h('td', { 'data-key': 'unit' }, d.unit), h('td', {}, d.building), h('td', {}, d.room),
        h('td', {}, ctx.i18n.pick(d.category)), h('td', {}, d.status),
        h('td', { 'data-key': 'failed_rechecks', class: 'num' }, String(d.failed_rechecks)),
        h('td', {}, date(d.first_deadline), d.overdue ? h('span', { class: 'error' }, ` ${t('dash.overdue')}`) : null))))));
}

export const dashboard: Page = {
  id: 'dashboard', label: 'nav.dashboard', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const project = ctx.project!;
    const summary = ctx.projects.find(p => p.id === project);
    const choices = roundChoices(summary?.rounds ?? 0);
    const round = chosen.get(project) ?? choices[Math.max(0, choices.length - 2)];
    const base = `/projects/${encodeURIComponent(project)}/reports/${encodeURIComponent(round)}`;
    const report = await ctx.api.get<Report>(base);
    const picker = h('select', { testid: 'report-round', onchange: (e: Event) => {
      chosen.set(project, (e.target as HTMLSelectElement).value);
      void ctx.refresh();
    } }, choices.map(c => h('option', { value: c, selected: c === round }, c === 'cumulative' ? t('dash.cumulative') : t('dash.roundN', { n: c }))));
    const scope = report.scope === 'cumulative' ? t('dash.cumulative') : t('dash.roundN', { n: report.round });
    const drill = h('div', { testid: 'drill-area' });
    const onDrill = async (contractor: string, name: string) => {
      const items = await ctx.api.get<DrillItem[]>(`${base}/defects?filter=failed_twice&contractor=${encodeURIComponent(contractor)}`);
      mount(drill, drillView(ctx, t('dash.drillTitle', { contractor: name, n: items.length }), items, () => mount(drill)));
      drill.scrollIntoView();
    };
    mount(el,
      h('h2', {}, t('nav.dashboard')),
      h('div', { class: 'row' },
        h('label', { class: 'inline' }, t('dash.round'), picker),
        h('span', { testid: 'report-title', class: 'grow' }, t('dash.title', {
          scope, date: report.as_of.slice(0, 10), handover: report.handover_date, days: report.days_to_handover,
        })),
        h('span', {}, t('dash.download')),
        ['pdf', 'xlsx'].map(f => h('button', { testid: `download-${f}`, onclick: () => void download(ctx, `${base}?format=${f}`) }, f.toUpperCase())),
        h('button', { testid: 'download-csv', onclick: () => void download(ctx, `${base}?format=csv&table=contractors`) }, 'CSV')),
      drill,
      report.tables.map(table => tableView(ctx, table, (c, n) => void onDrill(c, n))));
  },
};
