// The project's history (GET /projects/{p}/history): every act — setup,
// people, dispatch, reassignment, links, robots, risks, reports issued and
// shared — with who and when, said in the reader's language from its kind
// and particulars (older entries in the words they were recorded with),
// filterable by kind and person.

import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal } from '../shared/time.js';
import type { Ctx, Page } from '../shared/shell.js';
import { nameEl, nameText } from './names.js';
// Server JSON: types generated from the OpenAPI document.
import type { HistoryView } from '../shared/api-types.js';

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
    'history.op.create_project': 'Created the project (handover {date})', 'history.op.import_units': 'Imported {n} unit(s) from a unit list',
    'history.op.set_info': 'Changed the project’s details', 'history.op.put_building': 'Saved building {subject}',
    'history.op.put_unit_type': 'Saved unit type {subject}', 'history.op.set_floor_plan': 'Uploaded the floor plan of unit type {subject}',
    'history.op.set_room_outlines': 'Drew room outlines of unit type {subject}', 'history.op.copy_template': 'Copied checklist template {subject}',
    'history.op.put_item': 'Saved a checklist item of template {subject}', 'history.op.move_item': 'Moved a checklist item of template {subject}',
    'history.op.retire_item': 'Retired or restored a checklist item of template {subject}', 'history.op.put_category': 'Saved category {subject}',
    'history.op.put_trade': 'Saved trade {subject}', 'history.op.put_contractor': 'Saved contractor {subject}',
    'history.op.assign_trade': 'Assigned a trade to a contractor', 'history.op.unassign_trade': 'Took a trade from its contractor',
    'history.op.put_material': 'Saved a material of unit type {subject}', 'history.op.remove_material': 'Removed a material of unit type {subject}',
    'history.op.put_person': 'Saved person {subject}', 'history.op.put_round': 'Saved the plan of {subject}',
    'history.people.invited': 'Invited {name} as {role}', 'history.people.reset': 'Reset the password of {name}',
    'history.people.disabled': 'Disabled the account of {name}', 'history.people.enabled': 'Enabled the account of {name}',
    'history.role.cs_admin': 'CS center', 'history.role.inspector': 'inspector', 'history.role.engineer': 'engineer', 'history.role.contractor': 'contractor',
    'history.f.name': 'Name', 'history.f.handover_date': 'Handover date', 'history.f.buildings': 'Buildings', 'history.f.unit_types': 'Unit types',
    'history.f.units': 'Units', 'history.f.templates': 'Checklist templates', 'history.f.categories': 'Categories', 'history.f.trades': 'Trades',
    'history.f.contractors': 'Contractors', 'history.f.trade_assignments': 'Trade assignments', 'history.f.people': 'People', 'history.f.rounds': 'Round plans',
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
    'history.op.create_project': '创建项目（交付日期 {date}）', 'history.op.import_units': '从房源清单导入 {n} 户',
    'history.op.set_info': '修改项目信息', 'history.op.put_building': '保存楼栋 {subject}',
    'history.op.put_unit_type': '保存户型 {subject}', 'history.op.set_floor_plan': '上传户型 {subject} 的户型图',
    'history.op.set_room_outlines': '绘制户型 {subject} 的房间轮廓', 'history.op.copy_template': '复制检查模板 {subject}',
    'history.op.put_item': '保存模板 {subject} 的检查项', 'history.op.move_item': '调整模板 {subject} 的检查项顺序',
    'history.op.retire_item': '停用或恢复模板 {subject} 的检查项', 'history.op.put_category': '保存问题分类 {subject}',
    'history.op.put_trade': '保存专业 {subject}', 'history.op.put_contractor': '保存施工单位 {subject}',
    'history.op.assign_trade': '将专业分配给施工单位', 'history.op.unassign_trade': '取消施工单位的专业分配',
    'history.op.put_material': '保存户型 {subject} 的材料', 'history.op.remove_material': '删除户型 {subject} 的材料',
    'history.op.put_person': '保存人员 {subject}', 'history.op.put_round': '保存{subject}计划',
    'history.people.invited': '邀请 {name} 为{role}', 'history.people.reset': '重置 {name} 的密码',
    'history.people.disabled': '停用 {name} 的账号', 'history.people.enabled': '启用 {name} 的账号',
    'history.role.cs_admin': '客服中心人员', 'history.role.inspector': '验房人员', 'history.role.engineer': '工程师', 'history.role.contractor': '施工单位人员',
    'history.f.name': '名称', 'history.f.handover_date': '交付日期', 'history.f.buildings': '楼栋', 'history.f.unit_types': '户型',
    'history.f.units': '房源', 'history.f.templates': '检查模板', 'history.f.categories': '问题分类', 'history.f.trades': '专业',
    'history.f.contractors': '施工单位', 'history.f.trade_assignments': '专业分配', 'history.f.people': '人员', 'history.f.rounds': '轮次计划',
  },
};

/** An entry as `GET …/history` sends it: the act, its author's name and the names of the ids it holds. */
export type HistoryEntry = HistoryView;

type Detail = Record<string, any>;

/** The fields of a project whose entries a setup change names by id, and the kind of those ids. */
const FIELD_KINDS: Record<string, string> = {
  contractors: 'contractor', units: 'unit', people: 'user', buildings: 'building', categories: 'category', trades: 'trade',
  unit_types: 'unit_type', templates: 'template',
};

/** The name of an id the entry holds (`kind` contractor, unit, user, …): from the server's names, else the id marked. */
export function entryName(ctx: Ctx, e: HistoryEntry, kind: string, id: unknown): string {
  if (id === null || id === undefined || id === '') return ctx.i18n.t('history.nobody');
  const s = e.names?.[`${kind}:${id}`] ?? { zh: String(id), en: String(id), known: false };
  return nameText(ctx.i18n, s);
}

/** What a setup change was about: the named entries it changed (unit types, templates, rounds by their key). */
function subjects(ctx: Ctx, e: HistoryEntry): string {
  const keys = new Map<string, string>();
  for (const c of ((e.detail as Detail | null)?.changes ?? []) as Change[]) {
    if (c.key === undefined) continue;
    const kind = FIELD_KINDS[c.field];
    keys.set(`${c.field}:${c.key}`, kind ? entryName(ctx, e, kind, c.key) : c.field === 'rounds' ? ctx.i18n.t('history.roundReport', { n: c.key }) : c.key);
  }
  return [...keys.values()].join(ctx.i18n.lang === 'zh-CN' ? '、' : ', ');
}

/** The entry in the reader's language where its kind has words; else as recorded. */
export function describe(ctx: Ctx, e: HistoryEntry): string {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const d: Detail = (e.detail as Detail | null) ?? {};
  const contractor = (id: unknown) => entryName(ctx, e, 'contractor', id);
  const unit = (id: unknown) => entryName(ctx, e, 'unit', id);
  const robot = (r: Detail | null | undefined) => r ? `${r.kind} (${r.webhook})` : t('history.noneYet');
  switch (e.kind) {
    case 'setup': {
      if (d.op === 'create_project') return t('history.op.create_project', { date: d.handover_date ?? '' });
      if (d.op === 'import_units') return t('history.op.import_units', { n: d.count ?? 0 });
      if (typeof d.op !== 'string' || !d.op || !ctx.i18n.has(`history.op.${d.op}`)) return e.what;
      const subject = subjects(ctx, e) || (d.changes?.[0]?.key ?? '');
      return t(`history.op.${d.op}`, { subject }).trim();
    }
    case 'people': {
      const name = entryName(ctx, e, 'user', d.user);
      if (d.role) return t('history.people.invited', { name: d.name ? String(d.name) : name, role: t(`history.role.${d.role}`) });
      if (d.new && typeof d.new.disabled === 'boolean') return t(d.new.disabled ? 'history.people.disabled' : 'history.people.enabled', { name });
      if (d.user) return t('history.people.reset', { name });
      return e.what;
    }
    case 'dispatch': return t('history.t.dispatch', { n: d.count ?? 0, sel: d.selection ? t('history.t.selection') : '' });
    case 'reassign': return t('history.t.reassign', {
      unit: unit(d.unit), old: d.old?.contractor ? contractor(d.old.contractor) : t('history.nobody'), new: contractor(d.new?.contractor),
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
      return t(d.edit ? 'history.t.riskEdit' : 'history.t.risk', { unit: unit(d.unit), answer: ctx.i18n.pick(answer) });
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

/** The old and new values of a setup change, one line each, the field and entry named. */
export function changeLines(ctx: Ctx, e: HistoryEntry): string[] {
  const changes = ((e.detail as Detail | null)?.changes ?? []) as Change[];
  const field = (f: string) => (ctx.i18n.has(`history.f.${f}`) ? ctx.i18n.t(`history.f.${f}`) : f);
  const key = (c: Change) => (c.key === undefined ? '' : ` ${FIELD_KINDS[c.field] ? entryName(ctx, e, FIELD_KINDS[c.field], c.key) : c.key}`);
  return changes.flatMap(c => c.entries !== undefined ? [ctx.i18n.t('history.entries', { field: field(c.field), n: c.entries })]
    : diff(withoutId(c.old), withoutId(c.new)).map(([path, o, n]) => `${field(c.field)}${key(c)}${path ? ` · ${path}` : ''}: ${short(o)} → ${short(n)}`));
}

/** An entry's record without its id (the line names the entry already). */
const withoutId = (v: unknown) => {
  if (!isObject(v) || !('id' in v)) return v;
  const { id: _id, ...rest } = v;
  return rest;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What differs between an entry's old and new value, as (path, old, new):
 * objects on both sides are compared key by key (two levels deep, so a
 * contractor's changed phone reads `contact.phone: … → …`, not the whole
 * record); anything else is one line.
 */
export function diff(old: unknown, now: unknown, depth = 2, at = ''): [string, unknown, unknown][] {
  if (depth === 0 || !isObject(old) || !isObject(now)) return JSON.stringify(old) === JSON.stringify(now) ? [] : [[at, old, now]];
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  return keys.flatMap(k => diff(old[k], now[k], depth - 1, at ? `${at}.${k}` : k));
}

let filter = { kind: '', by: '' };

export const history: Page = {
  id: 'history', label: 'nav.history', needsProject: true,
  async render(ctx, el) {
    const t = (k: string) => ctx.i18n.t(k);
    const pid = encodeURIComponent(ctx.project!);
    const all = await ctx.api.get<HistoryEntry[]>(`/projects/${pid}/history`);
    const people = new Map(all.map(x => [x.by, x.by_name]));
    const list = all.filter(x => (!filter.kind || x.kind === filter.kind) && (!filter.by || x.by === filter.by));
    const pick = (key: 'kind' | 'by') => (e: Event) => { filter = { ...filter, [key]: (e.target as HTMLSelectElement).value }; void ctx.refresh(); };
    mount(el, h('h2', {}, t('nav.history')),
      h('div', { class: 'row' },
        h('label', {}, t('history.kind'), h('select', { testid: 'history-kind', onchange: pick('kind') }, h('option', { value: '' }, t('history.allKinds')),
          KINDS.map(k => h('option', { value: k, selected: k === filter.kind }, t(`history.k.${k}`))))),
        h('label', {}, t('history.person'), h('select', { testid: 'history-person', onchange: pick('by') }, h('option', { value: '' }, t('history.everyone')),
          [...people].map(([b, name]) => h('option', { value: b, selected: b === filter.by }, nameText(ctx.i18n, name)))))),
      list.length === 0 ? h('p', { class: 'notice', testid: 'history-none' }, t('history.none')) :
        h('div', { class: 'scroll' }, h('table', { testid: 'history' }, h('tr', {}, [t('history.when'), t('history.who'), t('history.kind'), t('history.what')].map(c => h('th', {}, c))),
          list.map(x => {
            const lines = changeLines(ctx, x);
            return [h('tr', { testid: 'history-row', 'data-kind': x.kind, 'data-by': x.by },
              h('td', {}, formatLocal(x.at, ctx.zone)), h('td', { 'data-key': 'who' }, nameEl(ctx.i18n, x.by_name)),
              h('td', {}, KINDS.includes(x.kind as typeof KINDS[number]) ? t(`history.k.${x.kind}`) : x.kind),
              h('td', { 'data-key': 'what' }, describe(ctx, x))),
            // Old and new values on a line of their own under the act.
            lines.length ? h('tr', { testid: 'history-changes' }, h('td', {}), h('td', { colspan: 3 },
              h('ul', { class: 'small muted' }, lines.map(l => h('li', {}, l))))) : null];
          }))));
  },
};
