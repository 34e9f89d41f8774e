// Dispatch (GET/POST /projects/{p}/dispatch): what was found and not yet
// sent, grouped by contractor with each item's deadline from its category;
// send all or a selection; reassign an item with a reason; and each
// contractor's rectification list on screen with its printable PDF.

import { ApiError } from '../shared/api.js';
import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal } from '../shared/time.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Project } from './model.js';
// Server JSON: types generated from the OpenAPI document.
import type { DispatchPlanView, DispatchResponse, PlanItem, RectificationResponse } from '../shared/api-types.js';

export const DISPATCH_DICTS: Dicts = {
  en: {
    'nav.dispatch': 'Dispatch', 'dispatch.help': 'Found and not yet sent to a contractor. Each item gets its category\'s deadline, counted from when it is sent.',
    'dispatch.round': 'Round', 'dispatch.allRounds': 'All rounds', 'dispatch.roundN': 'Round {n}',
    'dispatch.none': 'Nothing waits to be dispatched.', 'dispatch.all': 'Dispatch all ({n})', 'dispatch.selected': 'Dispatch selected',
    'dispatch.done': '{n} item(s) sent to their contractors.', 'dispatch.pickSome': 'Tick the items to dispatch first.',
    'dispatch.unit': 'Unit', 'dispatch.room': 'Room', 'dispatch.category': 'Category', 'dispatch.description': 'Defect', 'dispatch.deadline': 'Deadline',
    'dispatch.unroutable': 'No contractor found (assign by hand)', 'dispatch.reassign': 'Reassign', 'dispatch.to': 'To contractor',
    'dispatch.reason': 'Reason', 'dispatch.reasonHint': 'why it moves (recorded in the history)', 'dispatch.reassignSave': 'Reassign',
    'dispatch.reasonRequired': 'Say why the item goes to another contractor.', 'dispatch.reassigned': 'Item reassigned.', 'dispatch.cancel': 'Cancel',
    'lists.title': 'Rectification lists', 'lists.contractor': 'Contractor', 'lists.cumulative': 'Everything still open',
    'lists.show': 'Show', 'lists.pdf': 'Printable sheet (PDF)', 'lists.empty': 'This contractor holds no item in this list.',
    'lists.status': 'Status', 'lists.attempt': 'Attempt', 'lists.overdue': 'overdue', 'lists.responsible': 'Responsible',
  },
  'zh-CN': {
    'nav.dispatch': '派单', 'dispatch.help': '已发现、尚未派给施工单位的问题。每项按其问题分类的整改时限，从派单时起算。',
    'dispatch.round': '轮次', 'dispatch.allRounds': '全部轮次', 'dispatch.roundN': '第 {n} 轮',
    'dispatch.none': '没有待派的问题。', 'dispatch.all': '全部派单（{n}）', 'dispatch.selected': '派出所选',
    'dispatch.done': '已向施工单位派出 {n} 项。', 'dispatch.pickSome': '请先勾选要派出的问题。',
    'dispatch.unit': '房源', 'dispatch.room': '房间', 'dispatch.category': '问题分类', 'dispatch.description': '问题', 'dispatch.deadline': '整改期限',
    'dispatch.unroutable': '未找到责任单位（请手动指派）', 'dispatch.reassign': '改派', 'dispatch.to': '改派给',
    'dispatch.reason': '原因', 'dispatch.reasonHint': '改派原因（记入变更记录）', 'dispatch.reassignSave': '改派',
    'dispatch.reasonRequired': '请填写改派原因。', 'dispatch.reassigned': '已改派。', 'dispatch.cancel': '取消',
    'lists.title': '整改清单', 'lists.contractor': '施工单位', 'lists.cumulative': '全部未完成',
    'lists.show': '查看', 'lists.pdf': '打印版整改单（PDF）', 'lists.empty': '该单位在此清单中没有问题。',
    'lists.status': '状态', 'lists.attempt': '整改次数', 'lists.overdue': '已超期', 'lists.responsible': '责任单位',
  },
};

type PlanView = DispatchPlanView;

/** A deadline or time in the project's zone, with its offset. */
const when = (t: string | number | null, zone: string) => t === null ? '—' : formatLocal(t, zone);
const message = (e: unknown) => e instanceof ApiError || e instanceof Error ? e.message : String(e);

// The page's choices survive a re-render (after a dispatch or reassignment).
let round: number | null = null;
let listOf: { contractor: string; round: number | null } | null = null;

/** The reassign form of one item: contractor and a required reason. */
function reassignForm(ctx: Ctx, p: Project, defect: string, current: string | null, done: () => void): HTMLElement {
  const t = (k: string) => ctx.i18n.t(k);
  const err = h('p', { class: 'error', testid: 'reassign-error', hidden: true });
  const to = h('select', { testid: 'reassign-to' },
    p.contractors.filter(c => c.id !== current).map(c => h('option', { value: c.id }, `${ctx.i18n.pick(c.name)} (${c.id})`))) as HTMLSelectElement;
  const reason = h('input', { testid: 'reassign-reason', placeholder: t('dispatch.reasonHint') }) as HTMLInputElement;
  const form: HTMLFormElement = h('form', { class: 'row small', testid: 'reassign-form', onsubmit: async (e: Event) => {
    e.preventDefault();
    err.hidden = true;
    try {
      await ctx.api.post(`/projects/${encodeURIComponent(p.id)}/defects/${encodeURIComponent(defect)}/assign`, { contractor: to.value, reason: reason.value });
      ctx.notify(t('dispatch.reassigned'));
      done();
    } catch (x) { err.hidden = false; err.textContent = message(x); }
  } },
  h('label', {}, t('dispatch.to'), to), h('label', {}, t('dispatch.reason'), reason),
  h('button', { type: 'submit', testid: 'reassign-save' }, t('dispatch.reassignSave')),
  h('button', { type: 'button', onclick: () => form.remove() }, t('dispatch.cancel')), err);
  return form;
}

export const dispatchPage: Page = {
  id: 'dispatch', label: 'nav.dispatch', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const pid = encodeURIComponent(ctx.project!);
    const p = await ctx.api.get<Project>(`/projects/${pid}`);
    const plan = await ctx.api.get<PlanView>(`/projects/${pid}/dispatch${round === null ? '' : `?round=${round}`}`);
    const err = h('p', { class: 'error', testid: 'dispatch-error', hidden: true });
    const total = plan.groups.reduce((n, g) => n + g.items.length, 0);
    const send = async (defects?: string[]) => {
      err.hidden = true;
      try {
        const r = await ctx.api.post<DispatchResponse>(`/projects/${pid}/dispatch`, defects ? { defects } : {});
        ctx.notify(t('dispatch.done', { n: r.assigned }));
        await ctx.refresh();
      } catch (x) { err.hidden = false; err.textContent = message(x); }
    };
    const refresh = () => void ctx.refresh();
    const row = (it: PlanItem, contractor: string | null) => {
      const tr = h('tr', { testid: 'dispatch-item', 'data-defect': it.defect, 'data-unit': it.unit },
        h('td', {}, ctx.readOnly || contractor === null ? null : h('input', { type: 'checkbox', testid: 'dispatch-pick', value: it.defect, 'aria-label': t('dispatch.pickOne', { unit: it.unit, room: ctx.i18n.pick(it.room) }) })),
        h('td', { 'data-key': 'unit' }, it.unit), h('td', {}, `${ctx.i18n.pick(it.room)}${it.spot ? ` · ${it.spot}` : ''}`),
        h('td', {}, ctx.i18n.pick(it.category)), h('td', {}, it.description),
        h('td', { 'data-key': 'deadline' }, when(it.deadline, ctx.zone)),
        h('td', {}, ctx.readOnly ? null : h('button', { type: 'button', testid: 'reassign', onclick: () => {
          tr.after(h('tr', {}, h('td', { colspan: 7 }, reassignForm(ctx, p, it.defect, contractor, refresh))));
        } }, t('dispatch.reassign'))));
      return tr;
    };
    const head = h('tr', {}, ['', 'unit', 'room', 'category', 'description', 'deadline', ''].map(k => h('th', {}, k ? t(`dispatch.${k}`) : '')));
    const groups = h('div', { testid: 'dispatch-groups' },
      plan.groups.map(g => h('section', { class: 'panel', testid: 'dispatch-group', 'data-contractor': g.contractor.id },
        h('h3', {}, `${ctx.i18n.pick(g.contractor.name)} (${g.items.length})`),
        h('div', { class: 'scroll' }, h('table', { class: 'small' }, head.cloneNode(true), g.items.map(it => row(it, g.contractor.id)))))),
      plan.unroutable.length ? h('section', { class: 'panel', testid: 'dispatch-unroutable' },
        h('h3', {}, `${t('dispatch.unroutable')} (${plan.unroutable.length})`),
        h('div', { class: 'scroll' }, h('table', { class: 'small' }, head.cloneNode(true), plan.unroutable.map(it => row(it, null))))) : null);
    const picked = () => [...groups.querySelectorAll<HTMLInputElement>('[data-testid="dispatch-pick"]:checked')].map(c => c.value);
    const roundSel = h('select', { testid: 'dispatch-round', onchange: (e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      round = v ? Number(v) : null;
      refresh();
    } }, h('option', { value: '' }, t('dispatch.allRounds')),
    p.rounds.map(r => h('option', { value: String(r.no), selected: r.no === round }, t('dispatch.roundN', { n: r.no }))));
    mount(el,
      h('h2', {}, t('nav.dispatch')), h('p', { class: 'muted' }, t('dispatch.help')),
      h('div', { class: 'row' }, h('label', {}, t('dispatch.round'), roundSel)),
      total === 0 && plan.unroutable.length === 0 ? h('p', { class: 'notice', testid: 'dispatch-none' }, t('dispatch.none')) : null,
      ctx.readOnly || total === 0 ? null : h('div', { class: 'row' },
        h('button', { class: 'primary', testid: 'dispatch-all', onclick: () => void send() }, t('dispatch.all', { n: total })),
        h('button', { testid: 'dispatch-selected', onclick: () => {
          const ids = picked();
          if (!ids.length) { err.hidden = false; err.textContent = t('dispatch.pickSome'); return; }
          void send(ids);
        } }, t('dispatch.selected'))),
      err, groups, await listsSection(ctx, p, refresh));
  },
};

/** One contractor's rectification list (a round, or everything open) and its PDF. */
async function listsSection(ctx: Ctx, p: Project, refresh: () => void): Promise<HTMLElement> {
  const t = (k: string) => ctx.i18n.t(k);
  const pid = encodeURIComponent(p.id);
  const who = h('select', { testid: 'list-contractor' },
    p.contractors.map(c => h('option', { value: c.id, selected: c.id === listOf?.contractor }, `${ctx.i18n.pick(c.name)} (${c.id})`))) as HTMLSelectElement;
  const which = h('select', { testid: 'list-round' }, h('option', { value: '' }, t('lists.cumulative')),
    p.rounds.map(r => h('option', { value: String(r.no), selected: r.no === listOf?.round }, ctx.i18n.t('dispatch.roundN', { n: r.no })))) as HTMLSelectElement;
  const out = h('div', { testid: 'list-out' });
  const name = (id: string | null) => {
    const c = p.contractors.find(x => x.id === id);
    return c ? ctx.i18n.pick(c.name) : id ?? '—';
  };
  const show = async () => {
    listOf = { contractor: who.value, round: which.value ? Number(which.value) : null };
    const q = `contractor=${encodeURIComponent(listOf.contractor)}${listOf.round === null ? '' : `&round=${listOf.round}`}`;
    try {
      const r = await ctx.api.get<RectificationResponse>(`/projects/${pid}/rectification?${q}`);
      mount(out,
        h('p', {}, h('a', { testid: 'list-pdf', href: `/api/v1/projects/${pid}/rectification.pdf?${q}`, target: '_blank', rel: 'noopener' }, t('lists.pdf'))),
        r.items.length === 0 ? h('p', { class: 'notice', testid: 'list-empty' }, t('lists.empty')) :
          h('div', { class: 'scroll' }, h('table', { class: 'small', testid: 'list-items' },
            h('tr', {}, [t('dispatch.unit'), t('lists.status'), t('lists.attempt'), t('dispatch.deadline'), t('lists.responsible'), ''].map(c => h('th', {}, c))),
            r.items.map(it => {
              const tr = h('tr', { testid: 'list-item', 'data-defect': it.defect },
                h('td', {}, it.unit), h('td', {}, it.status), h('td', {}, String(it.attempt)),
                h('td', { class: it.overdue ? 'error' : '' }, when(it.deadline, ctx.zone), it.overdue ? ` (${t('lists.overdue')})` : ''),
                h('td', {}, name(it.responsible)),
                h('td', {}, ctx.readOnly ? null : h('button', { type: 'button', testid: 'list-reassign', onclick: () => {
                  tr.after(h('tr', {}, h('td', { colspan: 6 }, reassignForm(ctx, p, it.defect, it.assigned, refresh))));
                } }, t('dispatch.reassign'))));
              return tr;
            }))));
    } catch (x) { mount(out, h('p', { class: 'error' }, message(x))); }
  };
  if (listOf) void show();
  return h('section', { class: 'panel', testid: 'lists' }, h('h3', {}, t('lists.title')),
    h('div', { class: 'row' }, h('label', {}, t('lists.contractor'), who), h('label', {}, t('dispatch.round'), which),
      h('button', { testid: 'list-show', onclick: () => void show() }, t('lists.show'))), out);
}
