// The project's history (GET /projects/{p}/history): every act — setup,
// people, dispatch, reassignment, links, robots, risks, reports issued and
// shared — with who and when, said in the reader's language from its kind
// and particulars (older entries in the words they were recorded with),
// filterable by kind and person.

import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal } from '../shared/time.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Project } from './model.js';

export const KINDS = ['setup', 'people', 'dispatch', 'reassign', 'link_created', 'link_revoked', 'robot_set', 'robot_removed', 'risk',
  'report_issued', 'report_shared', 'share_revoked'] as const;

export const HISTORY_DICTS: Dicts = {
  en: {
    'history.kind': 'Kind', 'history.allKinds': 'All kinds', 'history.person': 'Person', 'history.everyone': 'Everyone', 'history.none': 'Nothing recorded.',
    'history.k.setup': 'Setup', 'history.k.people': 'People', 'history.k.dispatch': 'Dispatch', 'history.k.reassign': 'Reassignment',
    'history.k.link_created': 'Link created', 'history.k.link_revoked': 'Link revoked', 'history.k.robot_set': 'Robot set', 'history.k.robot_removed': 'Robot removed',
    'history.k.risk': 'Risk', 'history.k.report_issued': 'Report issued', 'history.k.report_shared': 'Report shared', 'history.k.share_revoked': 'Share revoked',
    'history.t.dispatch': 'Sent {n} item(s) to contractors{sel}', 'history.t.selection': ' (a selection)',
    'history.t.reassign': 'Defect in unit {unit} moved from {old} to {new}; reason: {reason} (responsible: {resp})',
    'history.t.link_created': 'Link {link} for {contractor}, valid {days} day(s)', 'history.t.link_revoked': 'Link {link} of {contractor} revoked',
    'history.t.robot_set': '{contractor}: group robot {old} → {new}', 'history.t.robot_removed': '{contractor}: group robot {old} removed',
    'history.t.report_issued': 'Issued the {report} report, version {v}', 'history.t.report_shared': 'Shared the {report} report, version {v}, by link {share}',
    'history.t.share_revoked': 'Revoked link {share} to the {report} report, version {v}', 'history.roundReport': 'round {n}', 'history.cumulativeReport': 'cumulative (to round {n})',
    'history.t.risk': 'Accepted the risk of a defect in unit {unit}; answer to owners: {answer}', 'history.t.riskEdit': 'Edited the accepted risk of a defect in unit {unit}; answer to owners: {answer}',
    'history.nobody': 'nobody', 'history.noneYet': 'none', 'history.entries': '{field}: {n} entries changed',
  },
  'zh-CN': {
    'history.kind': '类别', 'history.allKinds': '全部类别', 'history.person': '操作人', 'history.everyone': '全部人员', 'history.none': '暂无记录。',
    'history.k.setup': '项目设置', 'history.k.people': '人员', 'history.k.dispatch': '派单', 'history.k.reassign': '改派',
    'history.k.link_created': '创建链接', 'history.k.link_revoked': '撤销链接', 'history.k.robot_set': '设置机器人', 'history.k.robot_removed': '移除机器人',
    'history.k.risk': '风险接受', 'history.k.report_issued': '发布报告', 'history.k.report_shared': '分享报告', 'history.k.share_revoked': '撤销分享',
    'history.t.dispatch': '向施工单位派出 {n} 项{sel}', 'history.t.selection': '（所选）',
    'history.t.reassign': '房源 {unit} 的问题由 {old} 改派给 {new}；原因：{reason}（责任单位：{resp}）',
    'history.t.link_created': '为 {contractor} 创建链接 {link}，有效期 {days} 天', 'history.t.link_revoked': '撤销 {contractor} 的链接 {link}',
    'history.t.robot_set': '{contractor}：群机器人 {old} → {new}', 'history.t.robot_removed': '{contractor}：移除群机器人 {old}',
    'history.t.report_issued': '发布{report}报告第 {v} 版', 'history.t.report_shared': '以链接 {share} 分享{report}报告第 {v} 版',
    'history.t.share_revoked': '撤销{report}报告第 {v} 版的分享链接 {share}', 'history.roundReport': '第 {n} 轮', 'history.cumulativeReport': '累计至第 {n} 轮',
    'history.t.risk': '接受房源 {unit} 问题的风险；对业主统一口径：{answer}', 'history.t.riskEdit': '修改房源 {unit} 问题的风险接受；对业主统一口径：{answer}',
    'history.nobody': '无', 'history.noneYet': '无', 'history.entries': '{field}：{n} 项有变更',
  },
};

export interface HistoryEntry { at: string; by: string; kind: string; what: string; detail: Record<string, unknown> | null }

type Detail = Record<string, any>;

/** The entry in the reader's language where its kind has words; else as recorded. */
export function describe(ctx: Ctx, e: HistoryEntry, contractor: (id: string | null | undefined) => string): string {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const d: Detail = e.detail ?? {};
  const robot = (r: Detail | null | undefined) => r ? `${r.kind} (${r.webhook})` : t('history.noneYet');
  switch (e.kind) {
    case 'dispatch': return t('history.t.dispatch', { n: d.count ?? 0, sel: d.selection ? t('history.t.selection') : '' });
    case 'reassign': return t('history.t.reassign', {
      unit: d.unit ?? '', old: d.old?.contractor ? contractor(d.old.contractor) : t('history.nobody'), new: contractor(d.new?.contractor),
      reason: d.reason ?? '', resp: d.responsible ? contractor(d.responsible) : t('history.nobody'),
    });
    case 'link_created': return t('history.t.link_created', { link: d.link ?? '', contractor: contractor(d.contractor), days: d.days ?? '' });
    case 'link_revoked': return t('history.t.link_revoked', { link: d.link ?? '', contractor: contractor(d.contractor) });
    case 'robot_set': return t('history.t.robot_set', { contractor: contractor(d.contractor), old: robot(d.old), new: robot(d.new) });
    case 'robot_removed': return t('history.t.robot_removed', { contractor: contractor(d.contractor), old: robot(d.old) });
    case 'report_issued': case 'report_shared': case 'share_revoked': {
      // Older rows have no scope and round: as recorded.
      if (d.round === undefined) return e.what;
      const report = t(d.scope === 'cumulative' ? 'history.cumulativeReport' : 'history.roundReport', { n: d.round });
      return t(`history.t.${e.kind}`, { report, v: d.version ?? '', share: d.share ?? '' });
    }
    case 'risk': {
      const answer = d.new?.unified_answer;
      if (!answer) return e.what;
      return t(d.edit ? 'history.t.riskEdit' : 'history.t.risk', { unit: d.unit ?? '', answer: ctx.i18n.pick(answer) });
    }
    default: return e.what;
  }
}

interface Change { field: string; key?: string; old?: unknown; new?: unknown; entries?: number }

/** A recorded value in a line: JSON, cut short; absent as a dash. */
const short = (v: unknown) => {
  if (v === null || v === undefined) return '—';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
};

/** The old and new values of a setup change, one line each. */
export function changeLines(ctx: Ctx, e: HistoryEntry): string[] {
  const changes = (e.detail?.changes ?? []) as Change[];
  return changes.map(c => c.entries !== undefined ? ctx.i18n.t('history.entries', { field: c.field, n: c.entries })
    : `${c.field}${c.key ? ` ${c.key}` : ''}: ${short(c.old)} → ${short(c.new)}`);
}

let filter = { kind: '', by: '' };

export const history: Page = {
  id: 'history', label: 'nav.history', needsProject: true,
  async render(ctx, el) {
    const t = (k: string) => ctx.i18n.t(k);
    const pid = encodeURIComponent(ctx.project!);
    const [p, all] = await Promise.all([ctx.api.get<Project>(`/projects/${pid}`), ctx.api.get<HistoryEntry[]>(`/projects/${pid}/history`)]);
    const contractor = (id: string | null | undefined) => {
      const c = p.contractors.find(x => x.id === id);
      return c ? ctx.i18n.pick(c.name) : id ?? '—';
    };
    const person = (id: string) => p.people.find(x => x.id === id)?.name ?? id;
    const people = [...new Set(all.map(x => x.by))];
    const list = all.filter(x => (!filter.kind || x.kind === filter.kind) && (!filter.by || x.by === filter.by));
    const pick = (key: 'kind' | 'by') => (e: Event) => { filter = { ...filter, [key]: (e.target as HTMLSelectElement).value }; void ctx.refresh(); };
    mount(el, h('h2', {}, t('nav.history')),
      h('div', { class: 'row' },
        h('label', {}, t('history.kind'), h('select', { testid: 'history-kind', onchange: pick('kind') }, h('option', { value: '' }, t('history.allKinds')),
          KINDS.map(k => h('option', { value: k, selected: k === filter.kind }, t(`history.k.${k}`))))),
        h('label', {}, t('history.person'), h('select', { testid: 'history-person', onchange: pick('by') }, h('option', { value: '' }, t('history.everyone')),
          people.map(b => h('option', { value: b, selected: b === filter.by }, `${person(b)} (${b})`))))),
      list.length === 0 ? h('p', { class: 'notice', testid: 'history-none' }, t('history.none')) :
        h('table', { testid: 'history' }, h('tr', {}, [t('history.when'), t('history.who'), t('history.kind'), t('history.what')].map(c => h('th', {}, c))),
          list.map(x => {
            const lines = changeLines(ctx, x);
            return [h('tr', { testid: 'history-row', 'data-kind': x.kind, 'data-by': x.by },
              h('td', {}, formatLocal(x.at, ctx.zone)), h('td', { 'data-key': 'who' }, `${person(x.by)} (${x.by})`),
              h('td', {}, KINDS.includes(x.kind as typeof KINDS[number]) ? t(`history.k.${x.kind}`) : x.kind),
              h('td', { 'data-key': 'what' }, describe(ctx, x, contractor))),
            // Old and new values on a line of their own under the act.
            lines.length ? h('tr', { testid: 'history-changes' }, h('td', {}), h('td', { colspan: 3 },
              h('ul', { class: 'small muted' }, lines.map(l => h('li', {}, l))))) : null];
          })));
  },
};
