// The CS center's dashboard: live figures to date, progress against the
// round plans and the handover date, charts (defects by category and by
// contractor, open defects across rounds), then a round's report (or
// cumulative to date) as the same tables the PDF and the workbook hold.
// Numbers drill down to the defects behind them (a contractor's failed
// twice or more, open and overdue; a unit's open defects), and each defect
// opens in full with its marked photos, history and the accept-risk form.

import { Html, h, mount, setHtml } from '../shared/dom.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Dicts } from '../shared/i18n.js';
import { localDate, todayIn } from '../shared/time.js';
import { Cell, DrillItem, Report, Table, cellKind, countdownText, formatCell, roundChoices, visibleColumns } from './report.js';
import { barChart, barsFromTable, loadTrend, trendChart, weeksChart } from './charts.js';
import { nameEl, nameText, saveFile } from './names.js';
import { openDefect } from './defect.js';
import type { Project } from './model.js';
// Server JSON: types generated from the OpenAPI document.
import type { InspectorProgress } from '../shared/api-types.js';

export const DASHBOARD_DICTS: Dicts = {
  en: {
    'nav.dashboard': 'Dashboard', 'dash.round': 'Report', 'dash.roundN': 'Round {n}', 'dash.cumulative': 'Cumulative to date',
    'dash.title': '{scope} · as of {date} · handover {handover} ({countdown})', 'dash.download': 'Download',
    'dash.drillTitle': '{contractor}: {n} items whose repairs failed recheck twice or more',
    'dash.col.unit': 'Unit', 'dash.col.building': 'Building', 'dash.col.room': 'Room', 'dash.col.category': 'Category',
    'dash.col.status': 'Status', 'dash.col.failed': 'Failed rechecks', 'dash.col.deadline': 'First deadline', 'dash.overdue': 'overdue',
    'dash.close': 'Close',
    'dash.drill.open': '{contractor}: {n} open items', 'dash.drill.overdue': '{contractor}: {n} overdue items',
    'dash.drill.unit': 'Unit {unit}: {n} open items',
    'dash.live': 'To date', 'dash.progress': 'Progress against the round plans',
    'dash.handoverIn': 'Handover {date}: {countdown}', 'dash.col.round': 'Round', 'dash.col.start': 'Planned start',
    'dash.col.due': 'Due', 'dash.col.inspector': 'Inspector', 'dash.col.assigned': 'Units assigned', 'dash.col.started': 'Started',
    'dash.col.done': 'Done', 'dash.noPlan': 'No round plan yet.',
    'dash.charts': 'Charts', 'dash.chart.categories': 'Defects found in the report’s round by category (own inspection)',
    'dash.chart.contractors': 'Open defects by contractor at the report date (own inspection)', 'dash.chart.trend': 'Open defects across rounds',
    'dash.chart.weeks': 'Open defects week by week', 'dash.chart.weeksNone': 'No week to show yet.',
    'dash.trend.open': 'Open', 'dash.trend.overdue': 'Overdue', 'dash.trend.found': 'found', 'dash.trend.closed': 'closed',
    'dash.weekOf': 'week of {date}',
    'dash.kpi.units_inspected': 'Units inspected (current round)', 'dash.kpi.open_defects': 'Open defects now (own inspection, all rounds)',
    'dash.kpi.overdue': 'Overdue now (own inspection)', 'dash.kpi.closed_rate': 'Completion rate to date',
    'dash.kpi.timely_rate': 'Timely completion rate to date', 'dash.kpi.failed_twice_or_more': 'Failed recheck twice or more',
    'dash.sections': 'On this page', 'dash.report': 'Report tables',
    'dash.col.contractor': 'Contractor',
  },
  'zh-CN': {
    'nav.dashboard': '报告看板', 'dash.round': '报告', 'dash.roundN': '第 {n} 轮', 'dash.cumulative': '累计至今',
    'dash.title': '{scope} · 统计截止 {date} · 交付 {handover}（{countdown}）', 'dash.download': '下载',
    'dash.drillTitle': '{contractor}：整改两次及以上复验不合格 {n} 项',
    'dash.col.unit': '房源', 'dash.col.building': '楼栋', 'dash.col.room': '房间', 'dash.col.category': '问题分类',
    'dash.col.status': '状态', 'dash.col.failed': '复验不合格次数', 'dash.col.deadline': '首次整改期限', 'dash.overdue': '已超期',
    'dash.close': '关闭',
    'dash.drill.open': '{contractor}：未完结 {n} 项', 'dash.drill.overdue': '{contractor}：超期 {n} 项',
    'dash.drill.unit': '房源 {unit}：未完结 {n} 项',
    'dash.live': '累计至今', 'dash.progress': '轮次计划进度',
    'dash.handoverIn': '交付日期 {date}：{countdown}', 'dash.col.round': '轮次', 'dash.col.start': '计划开始',
    'dash.col.due': '截止日期', 'dash.col.inspector': '验房人员', 'dash.col.assigned': '分配户数', 'dash.col.started': '已开始',
    'dash.col.done': '已完成', 'dash.noPlan': '尚无轮次计划。',
    'dash.charts': '图表', 'dash.chart.categories': '本轮问题按分类（自查）',
    'dash.chart.contractors': '各施工单位未完结问题（自查，截至报告日期）', 'dash.chart.trend': '各轮未完结问题趋势',
    'dash.chart.weeks': '每周未完结问题趋势', 'dash.chart.weeksNone': '尚无可显示的周。',
    'dash.trend.open': '未完结', 'dash.trend.overdue': '超期', 'dash.trend.found': '发现', 'dash.trend.closed': '完结',
    'dash.weekOf': '{date} 起的一周',
    'dash.kpi.units_inspected': '已查验户数（当前轮次）', 'dash.kpi.open_defects': '当前未完结问题（自查，各轮累计）',
    'dash.kpi.overdue': '当前超期（自查）', 'dash.kpi.closed_rate': '累计完结率',
    'dash.kpi.timely_rate': '累计及时完结率', 'dash.kpi.failed_twice_or_more': '两次及以上复验不合格',
    'dash.sections': '本页内容', 'dash.report': '报告表格',
    'dash.col.contractor': '整改单位',
  },
};

/** The report chosen last, per project. */
const chosen = new Map<string, string>();

/** Save a report file under the name the server gives it (project, scope, round, date) in the reader's language. */
async function download(ctx: Ctx, path: string, fallback: string) {
  await saveFile(`/api/v1${path}&lang=${ctx.i18n.lang}`, ctx.api.authHeaders(), fallback).catch(e => ctx.notify((e as Error).message));
}

/** What a drill-down lists: a filter of the report's drill-down API, for a contractor or a unit. */
type Drill = { filter: 'failed_twice' | 'open' | 'overdue'; contractor?: string; unit?: string; title: string };

/** A unit as the units-at-risk row names it: building and door number. */
function unitOfRow(table: Table, row: Cell[]): string {
  const at = (k: string) => table.columns.findIndex(c => c.key === k);
  const b = at('building'), n = at('number');
  return b >= 0 && n >= 0 ? `${row[b]} ${row[n]}` : String(row[0]);
}

/** Report cells that open the defects behind them. */
function drillOf(table: Table, column: string, row: Cell[], name: string): Drill | null {
  if (typeof row[table.columns.findIndex(c => c.key === column)] !== 'number') return null;
  const who = String(row[0]);
  if (table.key === 'contractors') {
    if (column === 'failed_twice_or_more') return { filter: 'failed_twice', contractor: who, title: name };
    if (column === 'open' || column === 'overdue') return { filter: column, contractor: who, title: name };
  }
  if (table.key === 'units_at_risk' && column === 'open') return { filter: 'open', unit: who, title: unitOfRow(table, row) };
  return null;
}

const DRILL_TESTID: Record<Drill['filter'], string> = { failed_twice: 'drill-failed-twice', open: 'drill-open', overdue: 'drill-overdue' };

function tableView(ctx: Ctx, report: Report, table: Table, onDrill: (d: Drill) => void) {
  const lang = ctx.i18n.lang;
  const cols = visibleColumns(table, lang);
  const nameCol = table.columns.findIndex(c => c.key === (lang === 'zh-CN' ? 'name_zh' : 'name_en'));
  const cell = (row: Cell[], i: number) => {
    const column = table.columns[i];
    // The days to handover in words, never "-31".
    const days = table.key === 'summary' && row[0] === 'days_to_handover' && column.key === 'value';
    const text = days ? countdownText(report, (x) => ctx.i18n.pick(x)) : formatCell(row[i], cellKind(table, row, i));
    const drill = typeof row[i] === 'number' && row[i] > 0
      ? drillOf(table, column.key, row, nameCol >= 0 ? String(row[nameCol]) : String(row[0])) : null;
    if (drill) {
      const testid = drill.unit ? 'drill-unit' : DRILL_TESTID[drill.filter];
      return h('td', { 'data-key': column.key, class: 'num' },
        h('button', { class: 'link', testid, 'data-contractor': drill.contractor, 'data-unit': drill.unit, onclick: () => onDrill(drill) }, text));
    }
    return h('td', { 'data-key': column.key, class: column.kind === 'text' ? '' : 'num' }, text);
  };
  return h('section', { class: 'panel', testid: `table-${table.key}`, id: `dash-table-${table.key}` },
    h('h3', {}, lang === 'zh-CN' ? table.zh : table.en),
    // A wide table scrolls inside its box instead of squeezing its columns or widening the page.
    h('div', { class: 'scroll', testid: 'table-scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, cols.map(i => h('th', {}, lang === 'zh-CN' ? table.columns[i].zh : table.columns[i].en)))),
      h('tbody', {}, table.rows.map(row => h('tr', { testid: `row-${table.key}`, 'data-row': String(row[0]) }, cols.map(i => cell(row, i))))))));
}

function drillView(ctx: Ctx, title: string, items: DrillItem[], close: () => void, open: (id: string) => void) {
  const t = (k: string) => ctx.i18n.t(k);
  const date = (s: string | null) => (s ? localDate(s, ctx.zone) : '—');
  return h('section', { class: 'panel', testid: 'drill', role: 'region', 'aria-labelledby': 'drill-title',
    onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Escape') close(); } },
    h('div', { class: 'row' }, h('h3', { testid: 'drill-title', class: 'grow', id: 'drill-title', tabindex: -1 }, title),
      h('button', { testid: 'drill-close', onclick: close }, t('dash.close'))),
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['unit', 'room', 'category', 'contractor', 'status', 'failed', 'deadline'].map(k => h('th', {}, t(`dash.col.${k}`))))),
      h('tbody', {}, items.map(d => h('tr', { testid: 'drill-row', 'data-defect': d.id, 'data-unit': d.unit },
        h('td', { 'data-key': 'unit' }, h('button', { class: 'link', testid: 'open-defect', onclick: () => open(d.id) }, nameText(ctx.i18n, d.unit_name))),
        h('td', { 'data-key': 'room' }, nameEl(ctx.i18n, d.room_name)),
        h('td', {}, ctx.i18n.pick(d.category)), h('td', { 'data-key': 'contractor' }, nameEl(ctx.i18n, d.contractor_name)),
        h('td', {}, t(`status.${d.status}`)),
        h('td', { 'data-key': 'failed_rechecks', class: 'num' }, String(d.failed_rechecks)),
        h('td', {}, date(d.first_deadline), d.overdue ? h('span', { class: 'error' }, ` ${t('dash.overdue')}`) : null)))))));
}


/** Per round: the plan's dates and each inspector's units assigned, started and done (the progress API). */
function progressView(ctx: Ctx, model: Project, progress: InspectorProgress[][], live: Report) {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const person = (id: string) => model.people.find(p => p.id === id)?.name ?? id;
  const rows = model.rounds.flatMap((r, i) => (progress[i].length ? progress[i] : [null]).map((p, j) =>
    h('tr', { testid: 'progress-row', 'data-round': String(r.no), 'data-inspector': p?.inspector ?? '' },
      h('td', {}, j === 0 ? t('dash.roundN', { n: r.no }) : ''), h('td', { 'data-key': 'start' }, j === 0 ? r.start : ''),
      h('td', { 'data-key': 'due' }, j === 0 ? r.due : ''), h('td', {}, p ? person(p.inspector) : '—'),
      h('td', { 'data-key': 'assigned', class: 'num' }, p ? String(p.assigned) : ''),
      h('td', { 'data-key': 'started', class: 'num' }, p ? String(p.started) : ''),
      h('td', { 'data-key': 'done', class: 'num' }, p ? String(p.done) : ''))));
  return h('section', { class: 'panel', testid: 'progress', id: 'dash-progress' },
    h('h3', {}, t('dash.progress')),
    h('p', { testid: 'handover-days', 'data-days': String(live.days_to_handover) },
      t('dash.handoverIn', { date: live.handover_date, countdown: countdownText(live, (x) => ctx.i18n.pick(x)) })),
    model.rounds.length === 0 ? h('p', { class: 'muted' }, t('dash.noPlan')) :
      h('div', { class: 'scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, ['round', 'start', 'due', 'inspector', 'assigned', 'started', 'done'].map(k => h('th', {}, t(`dash.col.${k}`))))),
        h('tbody', {}, rows))));
}

/** The figures to date (the cumulative report's summary), as a strip of numbers. */
function liveView(ctx: Ctx, live: Report) {
  const lang = ctx.i18n.lang;
  const summary = live.tables.find(tb => tb.key === 'summary');
  const keys = ['units_inspected', 'open_defects', 'overdue', 'closed_rate', 'timely_rate', 'failed_twice_or_more'];
  // Say what each figure counts: these are to date (all rounds, now); the report's tables below are as of its date.
  return h('section', { class: 'panel', testid: 'live', id: 'dash-live' },
    h('h3', {}, ctx.i18n.t('dash.live'), ` · ${localDate(live.as_of, live.time_zone || ctx.zone)}`),
    h('div', { class: 'row' }, keys.map(k => {
      const row = summary?.rows.find(r => r[0] === k);
      if (!row || !summary) return null;
      return h('div', { class: 'kpi', testid: 'kpi', 'data-key': k, 'data-value': String(row[3]) },
        h('div', { class: 'muted', testid: 'kpi-label' }, ctx.i18n.has(`dash.kpi.${k}`) ? ctx.i18n.t(`dash.kpi.${k}`) : String(lang === 'zh-CN' ? row[1] : row[2])),
        h('strong', {}, formatCell(row[3], cellKind(summary, row, 3))));
    })));
}

async function chartsView(ctx: Ctx, report: Report, live: Report, model: Project, fetchRound: (n: number) => Promise<Report>) {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const lang = ctx.i18n.lang;
  const today = todayIn(ctx.zone);
  const started = model.rounds.filter(r => r.start <= today).map(r => r.no);
  const trend = await loadTrend(live, started, fetchRound);
  // Each chart is named by its heading (a <title>, so the bars' own titles stay readable too).
  const svg = (markup: Html, name: string) => {
    const d = h('div', { class: 'chart-box' });
    setHtml(d, markup);
    const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
    title.textContent = name;
    d.querySelector('svg')?.prepend(title);
    return d;
  };
  const table = (key: string) => report.tables.find(tb => tb.key === key);
  const labels = {
    open: t('dash.trend.open'), overdue: t('dash.trend.overdue'), found: t('dash.trend.found'), closed: t('dash.trend.closed'),
    round: (n: number) => t('dash.roundN', { n }), week: (date: string) => t('dash.weekOf', { date }),
  };
  const weeks = live.weeks ?? [];
  return h('section', { class: 'panel', testid: 'charts', id: 'dash-charts' },
    h('h3', {}, t('dash.charts')),
    h('div', { class: 'charts' },
      h('div', { testid: 'chart-categories-box' }, h('h4', {}, t('dash.chart.categories')),
        svg(barChart(barsFromTable(table('categories'), 'own', lang), 'chart-categories'), t('dash.chart.categories'))),
      h('div', { testid: 'chart-contractors-box' }, h('h4', {}, t('dash.chart.contractors')),
        svg(barChart(barsFromTable(table('contractors'), 'open', lang), 'chart-contractors'), t('dash.chart.contractors'))),
      h('div', {}, h('h4', {}, t('dash.chart.trend')), svg(trendChart(trend, labels), t('dash.chart.trend'))),
      h('div', { testid: 'chart-weeks-box' }, h('h4', {}, t('dash.chart.weeks')),
        weeks.length ? svg(weeksChart(weeks, labels), t('dash.chart.weeks')) : h('p', { class: 'muted' }, t('dash.chart.weeksNone')))));
}

export const dashboard: Page = {
  id: 'dashboard', label: 'nav.dashboard', needsProject: true, roles: ['cs_admin', 'engineer'],
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const project = ctx.project!;
    const summary = ctx.projects.find(p => p.id === project);
    const choices = roundChoices(summary?.rounds ?? 0);
    const round = chosen.get(project) ?? choices[Math.max(0, choices.length - 2)];
    const reports = `/projects/${encodeURIComponent(project)}/reports`;
    const base = `${reports}/${encodeURIComponent(round)}`;
    const fetchRound = (n: number | string) => ctx.api.get<Report>(`${reports}/${n}`);
    const [report, live, model] = await Promise.all([
      ctx.api.get<Report>(base), round === 'cumulative' ? null : fetchRound('cumulative'),
      ctx.api.get<Project>(`/projects/${encodeURIComponent(project)}`)]);
    const liveReport = live ?? report;
    const progress = await Promise.all(model.rounds.map(r =>
      ctx.api.get<InspectorProgress[]>(`/projects/${encodeURIComponent(project)}/rounds/${r.no}/progress`)));
    const picker = h('select', { testid: 'report-round', onchange: (e: Event) => {
      chosen.set(project, (e.target as HTMLSelectElement).value);
      void ctx.refresh();
    } }, choices.map(c => h('option', { value: c, selected: c === round }, c === 'cumulative' ? t('dash.cumulative') : t('dash.roundN', { n: c }))));
    const scope = report.scope === 'cumulative' ? t('dash.cumulative') : t('dash.roundN', { n: report.round });
    const drill = h('div', { testid: 'drill-area' });
    const detail = h('div', { testid: 'defect-area' });
    const open = (id: string) => void openDefect(ctx, detail, project, id, () => open(id));
    const onDrill = async (d: Drill) => {
      const query = `filter=${d.filter}` + (d.contractor ? `&contractor=${encodeURIComponent(d.contractor)}` : '');
      let items = await ctx.api.get<DrillItem[]>(`${base}/defects?${query}`);
      if (d.unit) items = items.filter(i => i.unit === d.unit);
      const title = d.unit ? t('dash.drill.unit', { unit: items[0] ? nameText(ctx.i18n, items[0].unit_name) : d.title, n: items.length })
        : d.filter === 'failed_twice' ? t('dash.drillTitle', { contractor: d.title, n: items.length })
          : t(`dash.drill.${d.filter}`, { contractor: d.title, n: items.length });
      // Focus follows to the list (a keyboard user goes on from there); closing it returns focus.
      const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      mount(drill, drillView(ctx, title, items, () => { mount(drill); if (opener?.isConnected) opener.focus(); }, open));
      drill.scrollIntoView();
      drill.querySelector<HTMLElement>('[data-testid="drill-title"]')?.focus({ preventScroll: true });
    };
    // The page's sections can be jumped to (buttons: the address bar's hash is the shell's page route).
    const jump = (id: string) => () => document.getElementById(id)?.scrollIntoView({ block: 'start' });
    const lang = ctx.i18n.lang;
    const sections: [string, string][] = [['dash-live', t('dash.live')], ['dash-progress', t('dash.progress')],
      ['dash-charts', t('dash.charts')], ['dash-report', t('dash.report')], ...report.tables.map(tb => [`dash-table-${tb.key}`, lang === 'zh-CN' ? tb.zh : tb.en] as [string, string])];
    const stem = `${project}-${round}`;
    mount(el,
      h('h2', {}, t('nav.dashboard')),
      h('nav', { class: 'sections', testid: 'section-nav', 'aria-label': t('dash.sections') },
        sections.map(([id, label]) => h('button', { class: 'link', testid: 'section-link', 'data-target': id, onclick: jump(id) }, label))),
      liveView(ctx, liveReport),
      progressView(ctx, model, progress, liveReport),
      await chartsView(ctx, report, liveReport, model, fetchRound),
      h('div', { class: 'row', id: 'dash-report' },
        h('label', { class: 'inline' }, t('dash.round'), picker),
        h('span', { testid: 'report-title', class: 'grow' }, t('dash.title', {
          scope, date: localDate(report.as_of, report.time_zone || ctx.zone), handover: report.handover_date,
          countdown: countdownText(report, (x) => ctx.i18n.pick(x)),
        })),
        h('span', {}, t('dash.download')),
        ['pdf', 'xlsx'].map(f => h('button', { testid: `download-${f}`, onclick: () => void download(ctx, `${base}?format=${f}`, `${stem}.${f}`) }, f.toUpperCase())),
        h('button', { testid: 'download-csv', onclick: () => void download(ctx, `${base}?format=csv&table=contractors`, `${stem}.csv`) }, 'CSV')),
      drill,
      detail,
      report.tables.map(table => tableView(ctx, report, table, (d) => void onDrill(d))));
  },
};
