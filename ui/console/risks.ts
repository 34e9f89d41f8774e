// Accepted risks (GET /projects/{p}/risks): every defect the CS center has
// accepted as a risk, with the unified answer for owners and the
// contingency plan as they stand now; "Edit" opens the same form as the
// defect's panel, and a save appends another decision (the latest wins).

import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { localDate } from '../shared/time.js';
import type { Page } from '../shared/shell.js';
import { RiskRow, openDefect, riskForm } from './defect.js';
import { nameEl } from './names.js';

export const RISK_DICTS: Dicts = {
  en: {
    'nav.risks': 'Accepted risks', 'risks.none': 'No risk has been accepted in this project.',
    'risks.help': 'Defects that cannot be fixed before handover, with the one answer every member of staff gives owners.',
    'risks.unit': 'Unit', 'risks.room': 'Room', 'risks.category': 'Category', 'risks.description': 'Defect',
    'risks.answer': 'Unified answer', 'risks.plan': 'Contingency plan', 'risks.accepted': 'Accepted', 'risks.edited': 'Last edited',
    'risks.edit': 'Edit', 'risks.open': 'Open',
  },
  'zh-CN': {
    'nav.risks': '风险接受', 'risks.none': '本项目尚未接受任何风险。',
    'risks.help': '交付前无法整改的问题，以及所有员工对业主使用的统一口径。',
    'risks.unit': '房源', 'risks.room': '房间', 'risks.category': '问题分类', 'risks.description': '问题',
    'risks.answer': '统一口径', 'risks.plan': '应对预案', 'risks.accepted': '接受时间', 'risks.edited': '最后修改',
    'risks.edit': '修改', 'risks.open': '查看',
  },
};


export const risks: Page = {
  id: 'risks', label: 'nav.risks', needsProject: true, roles: ['cs_admin', 'engineer'],
  async render(ctx, el) {
    const t = (k: string) => ctx.i18n.t(k);
    // Days of the project's zone, not the browser's.
    const day = (ms: number) => localDate(ms, ctx.zone);
    const project = ctx.project!;
    const rows = await ctx.api.get<RiskRow[]>(`/projects/${encodeURIComponent(project)}/risks`);
    const area = h('div', { testid: 'risk-edit-area' });
    const refresh = () => void ctx.refresh();
    const edit = (r: RiskRow) => {
      mount(area, riskForm(ctx, project, r.defect, r.risk, refresh));
      area.scrollIntoView();
    };
    mount(el,
      h('h2', {}, t('nav.risks')), h('p', { class: 'muted' }, t('risks.help')), area,
      rows.length === 0 ? h('p', { class: 'notice', testid: 'risks-none' }, t('risks.none')) :
        h('div', { class: 'scroll' }, h('table', { testid: 'risks' },
          h('thead', {}, h('tr', {}, ['unit', 'room', 'category', 'description', 'answer', 'plan', 'accepted', 'edited', 'edit']
            .map(k => h('th', {}, k === 'edit' ? '' : t(`risks.${k}`))))),
          h('tbody', {}, rows.map(r => h('tr', { testid: 'risk-row', 'data-defect': r.defect },
            h('td', { 'data-key': 'unit', 'data-unit': r.place.unit }, `${ctx.i18n.pick(r.place.building.name) || r.place.building.id} ${r.place.unit_number}`),
            h('td', { 'data-key': 'room' }, ctx.i18n.pick(r.place.room.name) || r.place.room.id),
            h('td', {}, ctx.i18n.pick(r.category.name)), h('td', {}, r.description),
            h('td', { 'data-key': 'answer' }, ctx.i18n.pick(r.risk.unified_answer)),
            h('td', { 'data-key': 'plan' }, r.risk.contingency_plan),
            h('td', { 'data-key': 'accepted' }, `${day(r.risk.accepted_at)} · `, nameEl(ctx.i18n, r.accepted_by_name)),
            h('td', { 'data-key': 'edited' }, r.risk.edits > 0 ? [`${day(r.risk.edited_at)} · `, nameEl(ctx.i18n, r.edited_by_name)] : '—'),
            h('td', {},
              ctx.readOnly ? null : h('button', { testid: 'risk-edit', onclick: () => edit(r) }, t('risks.edit')), ' ',
              h('button', { testid: 'risk-open', onclick: () => void openDefect(ctx, area, project, r.defect, refresh) }, t('risks.open')))))))));
  },
};
