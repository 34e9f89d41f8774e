// The company page (GET /company/overview): the projects of the CS
// center's company side by side with their cumulative figures to date
// (the same as each project's cumulative report), each opening its
// dashboard. It needs no chosen project.

import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import type { Page } from '../shared/shell.js';
import { formatCell } from './report.js';
// Server JSON: types generated from the OpenAPI document.
import type { CompanyOverview, CompanyProject } from '../shared/api-types.js';

export const COMPANY_DICTS: Dicts = {
  en: {
    'nav.company': 'Company', 'company.title': 'Projects of {company}', 'company.project': 'Project', 'company.handover': 'Handover',
    'company.days': 'Handover in', 'company.round': 'Current round', 'company.units': 'Units', 'company.inspected': 'Units inspected',
    'company.open': 'Open defects', 'company.overdue': 'Overdue', 'company.closedRate': 'Completion rate (完结率)',
    'company.timelyRate': 'Timely completion rate (及时完结率)', 'company.twice': 'Failed twice or more', 'company.none': 'No round plan',
    'company.help': 'Cumulative figures to date, the same as each project\'s cumulative report.',
  },
  'zh-CN': {
    'nav.company': '公司总览', 'company.title': '{company} 的项目', 'company.project': '项目', 'company.handover': '交付日期',
    'company.days': '距交付', 'company.round': '当前轮次', 'company.units': '户数', 'company.inspected': '已查验户数',
    'company.open': '未完结问题', 'company.overdue': '超期', 'company.closedRate': '完结率',
    'company.timelyRate': '及时完结率', 'company.twice': '两次及以上复验不合格', 'company.none': '尚无轮次计划',
    'company.help': '累计至今的数据，与各项目累计报告一致。',
  },
};

export type { CompanyProject, CompanyOverview };

export const company: Page = {
  id: 'company', label: 'nav.company',
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const o = await ctx.api.get<CompanyOverview>('/company/overview');
    const open = async (id: string) => { await ctx.setProject(id); ctx.go('dashboard'); };
    const num = (key: string, v: number | null, rate = false) =>
      h('td', { 'data-key': key, class: 'num' }, formatCell(v, rate ? 'rate' : 'count'));
    mount(el,
      h('h2', { testid: 'company-title' }, t('company.title', { company: ctx.i18n.pick(o.company_name) || o.company })),
      h('p', { class: 'muted' }, t('company.help')),
      h('table', { testid: 'company' },
        h('thead', {}, h('tr', {}, ['project', 'handover', 'days', 'round', 'units', 'inspected', 'open', 'overdue', 'closedRate', 'timelyRate', 'twice']
          .map(k => h('th', {}, t(`company.${k}`))))),
        h('tbody', {}, o.projects.map(p => h('tr', { testid: 'company-row', 'data-project': p.id },
          h('td', {}, h('button', { class: 'link', testid: 'company-open', onclick: () => void open(p.id) }, `${ctx.i18n.pick(p.name)} (${p.id})`)),
          h('td', { 'data-key': 'handover_date' }, p.handover_date),
          // In words, never a negative count: "31 days past handover".
          h('td', { 'data-key': 'days_to_handover', 'data-days': String(p.days_to_handover) }, ctx.i18n.pick(p.countdown)),
          h('td', { 'data-key': 'current_round', class: 'num' }, p.current_round === null ? t('company.none') : String(p.current_round)),
          num('units', p.units), num('units_inspected', p.units_inspected), num('open_defects', p.open_defects),
          num('overdue', p.overdue), num('closed_rate', p.closed_rate, true), num('timely_rate', p.timely_rate, true),
          num('failed_twice_or_more', p.failed_twice_or_more))))));
  },
};
