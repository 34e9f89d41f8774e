// One defect in full for the CS center (GET /projects/{p}/defects/{id}):
// where it is, what, who holds it, its photos with the chalk marks drawn
// over them (shared/marks.ts, as on the contractor's page), the floor-plan
// pin, its whole history with who and when, and the form that accepts its
// risk with the unified answer for owners and the contingency plan (or
// edits them once accepted).

import { ApiError } from '../shared/api.js';
import { h, html, mount, setHtml, val } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal, localDate } from '../shared/time.js';
import { I18nText, marksLabel, marksSvg, planSvg } from '../shared/marks.js';
import type { Ctx } from '../shared/shell.js';
import { Shown, nameEl, nameText } from './names.js';
// Server JSON: types generated from the OpenAPI document.
import type { DefectDetail, DefectPlace, DeviceShown, HistoryItem, Named, RiskDecision, RiskRow } from '../shared/api-types.js';

export type { Named, RiskDecision, HistoryItem, DefectDetail, RiskRow };
export type Place = DefectPlace;

export const DEFECT_DICTS: Dicts = {
  en: {
    'defect.title': 'Defect in {unit} · {room}', 'defect.where': 'Where', 'defect.what': 'What', 'defect.category': 'Category',
    'defect.severity': 'Severity', 'defect.contractor': 'Contractor', 'defect.responsible': 'Responsible', 'defect.status': 'Status',
    'defect.found': 'Found', 'defect.foundBy': 'round {round}, {date}, by {who}', 'defect.deadline': 'Deadlines',
    'defect.deadlines': 'first {first}, current {current}', 'defect.failed': 'Failed rechecks', 'defect.closed': 'Closed',
    'defect.photos': 'Photos', 'defect.noPhotos': 'No photos.', 'defect.plan': 'Floor plan', 'defect.history': 'History',
    'defect.onDevice': 'on {device}', 'defect.onServer': 'server',
    'defect.when': 'When', 'defect.who': 'Who', 'defect.round': 'Round', 'defect.event': 'What happened', 'defect.ignored': '(changes nothing)',
    'risk.title': 'Accept as risk', 'risk.editTitle': 'Edit the unified answer', 'risk.current': 'Accepted risk',
    'risk.help': 'For what cannot be fixed before handover: one answer every member of staff gives owners, and the plan behind it.',
    'risk.answerZh': 'Unified answer for owners (Chinese, required)', 'risk.answerEn': 'Unified answer (English, optional)',
    'risk.plan': 'Contingency plan', 'risk.accept': 'Accept as risk', 'risk.save': 'Save answer', 'risk.accepted': 'Risk accepted',
    'risk.saved': 'Answer saved', 'risk.acceptedBy': 'accepted by {who} on {date}', 'risk.editedBy': 'last edited by {who} on {date}',
    'risk.closed': 'This defect is {status}; no risk can be accepted.',
    'ev.assigned': 'Sent to {contractor}, deadline {deadline}', 'ev.reported_fixed': 'Reported fixed: {note}',
    'ev.fix_retracted': 'Fix report taken back: {note}', 'ev.rechecked.pass': 'Recheck passed {note}',
    'ev.rechecked.fail': 'Recheck failed {note}', 'ev.accepted_risk': 'Risk accepted: {answer} · plan: {plan}',
    'ev.withdrawn': 'Withdrawn: {reason}', 'defect.deviceClock': '(device clock {time})', 'ev.edited': 'Edited {field}: {value}', 'ev.found': 'Recorded: {description}',
    'status.open': 'open', 'status.assigned': 'with contractor', 'status.failed_recheck': 'failed recheck',
    'status.reported_fixed': 'reported fixed', 'status.verified': 'verified', 'status.accepted_risk': 'accepted risk', 'status.withdrawn': 'withdrawn',
  },
  'zh-CN': {
    'defect.title': '{unit} · {room} 的问题', 'defect.where': '位置', 'defect.what': '问题描述', 'defect.category': '问题分类',
    'defect.severity': '严重程度', 'defect.contractor': '整改单位', 'defect.responsible': '责任单位', 'defect.status': '状态',
    'defect.found': '发现', 'defect.foundBy': '第 {round} 轮，{date}，{who}', 'defect.deadline': '整改期限',
    'defect.deadlines': '首次 {first}，当前 {current}', 'defect.failed': '复验不合格次数', 'defect.closed': '完结时间',
    'defect.photos': '照片', 'defect.noPhotos': '没有照片。', 'defect.plan': '户型图', 'defect.history': '处理记录',
    'defect.onDevice': '设备：{device}', 'defect.onServer': '服务器',
    'defect.when': '时间', 'defect.who': '操作人', 'defect.round': '轮次', 'defect.event': '经过', 'defect.ignored': '（不影响状态）',
    'risk.title': '接受风险', 'risk.editTitle': '修改统一口径', 'risk.current': '已接受的风险',
    'risk.help': '用于交付前无法整改的问题：所有员工对业主使用同一口径，并附应对预案。',
    'risk.answerZh': '对业主的统一口径（中文，必填）', 'risk.answerEn': '统一口径（英文，可选）',
    'risk.plan': '应对预案', 'risk.accept': '接受风险', 'risk.save': '保存口径', 'risk.accepted': '已接受风险',
    'risk.saved': '口径已保存', 'risk.acceptedBy': '{who} 于 {date} 接受', 'risk.editedBy': '{who} 于 {date} 最后修改',
    'risk.closed': '该问题状态为“{status}”，不能接受风险。',
    'ev.assigned': '派给 {contractor}，期限 {deadline}', 'ev.reported_fixed': '报告已整改：{note}',
    'ev.fix_retracted': '撤回整改报告：{note}', 'ev.rechecked.pass': '复验合格 {note}',
    'ev.rechecked.fail': '复验不合格 {note}', 'ev.accepted_risk': '接受风险：{answer} · 预案：{plan}',
    'ev.withdrawn': '撤销：{reason}', 'defect.deviceClock': '（设备时钟 {time}）', 'ev.edited': '修改 {field}：{value}', 'ev.found': '记录问题：{description}',
    'status.open': '待派单', 'status.assigned': '整改中', 'status.failed_recheck': '复验不合格',
    'status.reported_fixed': '已报整改', 'status.verified': '已通过复验', 'status.accepted_risk': '已接受风险', 'status.withdrawn': '已撤销',
  },
};

/** Times and days in the project's zone (not the browser's), times with its offset. */
const whenIn = (zone: string) => (ms: number | null) => (ms === null ? '—' : formatLocal(ms, zone));
const dayIn = (zone: string) => (ms: number) => localDate(ms, zone);

/** Photos fetched with the session's token (the blob API needs it), kept as object URLs. */
const photoUrls = new Map<string, string>();
export async function photoUrl(ctx: Ctx, hash: string): Promise<string> {
  let url = photoUrls.get(hash);
  if (!url) {
    const res = await fetch(`/api/v1/blobs/${hash}`, { headers: ctx.api.authHeaders() });
    if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
    url = URL.createObjectURL(await res.blob());
    photoUrls.set(hash, url);
  }
  return url;
}

function eventText(ctx: Ctx, e: HistoryItem, contractorName: (id: string) => string): string {
  // The server names the contractor an assignment went to; older answers without it: the defect's own.
  if (e.contractor_name) contractorName = () => nameText(ctx.i18n, e.contractor_name);
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const when = whenIn(ctx.zone);
  // The event's own fields, by its type (EventKind is tagged by the type's name).
  const body = (e.kind as Record<string, Record<string, unknown>>)[e.type] ?? {};
  const s = (k: string) => String(body[k] ?? '');
  switch (e.type) {
    case 'assigned': return t('ev.assigned', { contractor: contractorName(s('contractor')), deadline: when(Number(body.deadline)) });
    case 'rechecked': return t(body.passed ? 'ev.rechecked.pass' : 'ev.rechecked.fail', { note: s('note') });
    case 'accepted_risk':
      return t('ev.accepted_risk', { answer: ctx.i18n.pick(body.unified_answer as I18nText), plan: s('contingency_plan') });
    default: return t(`ev.${e.type}`, { note: s('note'), reason: s('reason'), field: s('field'), value: s('value') });
  }
}

/** Which device wrote a history entry, under its author: the server, or "on li-tablet · 3fa2c1". */
export function deviceEl(ctx: Ctx, d: DeviceShown | null | undefined): HTMLElement | null {
  if (!d) return null;
  return h('div', { class: 'muted', testid: 'history-device', 'data-server': String(d.server) },
    d.server ? ctx.i18n.t('defect.onServer') : ctx.i18n.t('defect.onDevice', { device: d.label }));
}

/** The accept-risk form (prefilled with the current answer when editing); `done` after a save. */
export function riskForm(ctx: Ctx, project: string, defect: string, current: RiskDecision | null, done: () => void): HTMLElement {
  const t = (k: string) => ctx.i18n.t(k);
  const error = h('p', { class: 'error', testid: 'risk-error', hidden: true });
  const form: HTMLFormElement = h('form', { class: 'panel', testid: 'risk-form', onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      await ctx.api.post(`/projects/${encodeURIComponent(project)}/defects/${encodeURIComponent(defect)}/accept-risk`, {
        unified_answer: { zh: val(form, 'risk-answer-zh'), en: val(form, 'risk-answer-en') },
        contingency_plan: val(form, 'risk-plan'),
      });
      ctx.notify(t(current ? 'risk.saved' : 'risk.accepted'));
      done();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  } },
    h('h4', {}, t(current ? 'risk.editTitle' : 'risk.title')),
    h('p', { class: 'muted' }, t('risk.help')),
    h('label', {}, t('risk.answerZh'), h('textarea', { testid: 'risk-answer-zh', rows: 2 }, current?.unified_answer.zh ?? '')),
    h('label', {}, t('risk.answerEn'), h('textarea', { testid: 'risk-answer-en', rows: 2 }, current?.unified_answer.en ?? '')),
    h('label', {}, t('risk.plan'), h('textarea', { testid: 'risk-plan', rows: 2 }, current?.contingency_plan ?? '')),
    error,
    h('button', { class: 'primary', type: 'submit', testid: 'risk-submit' }, t(current ? 'risk.save' : 'risk.accept')));
  return form;
}

/** The defect's panel; `changed` is called after its risk was accepted or edited. */
export async function defectPanel(ctx: Ctx, project: string, id: string, close: () => void, changed: () => void): Promise<HTMLElement> {
  const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
  const [when, day] = [whenIn(ctx.zone), dayIn(ctx.zone)];
  const d = await ctx.api.get<DefectDetail>(`/projects/${encodeURIComponent(project)}/defects/${encodeURIComponent(id)}`);
  const pick = (n: Named | null) => (n ? ctx.i18n.pick(n.name) || n.id : '—');
  const names = new Map([d.contractor, d.responsible].filter((n): n is Named => !!n).map(n => [n.id, pick(n)]));
  const people = new Map<string, Shown>(d.history.map(e => [e.by, e.by_name]));
  people.set(d.found_by, d.found_by_name);
  const person = (id: string) => nameText(ctx.i18n, people.get(id) ?? { zh: id, en: id, known: false });
  const fact = (label: string, value: string, testid?: string) => h('tr', {}, h('th', {}, label), h('td', { testid }, value));
  const photos = h('div', { class: 'photos', testid: 'defect-photos' });
  for (const [i, p] of d.photos.entries()) {
    const box = h('div', { class: 'photo', testid: 'defect-photo', 'data-hash': p.hash });
    const alt = t('a11y.photo', { n: i + 1, total: d.photos.length, room: pick(d.place.room), what: d.description });
    setHtml(box, html`<img alt="${alt}">${marksSvg(p.marks, marksLabel(p.marks, t))}`);
    photos.append(box);
    photoUrl(ctx, p.hash).then(url => { (box.querySelector('img') as HTMLImageElement).src = url; })
      .catch(e => box.setAttribute('data-error', String(e)));
  }
  const plan = h('div', { testid: 'defect-plan' });
  if (d.plan.length > 0 || d.plan_image) {
    setHtml(plan, planSvg(d, (x) => ctx.i18n.pick(x), {
      image: t('a11y.plan', { unit: d.place.unit }), overlay: t('a11y.planOverlay', { room: pick(d.place.room) }),
    }));
    const img = plan.querySelector<HTMLImageElement>('img[data-hash]');
    if (img) photoUrl(ctx, img.dataset.hash!).then(url => { img.src = url; }).catch(e => img.setAttribute('data-error', String(e)));
  }
  const closed = d.status === 'verified' || d.status === 'withdrawn';
  const riskArea = h('div', { testid: 'risk-area' });
  const reload = () => { changed(); };
  if (d.risk) {
    riskArea.append(h('section', { class: 'notice', testid: 'risk-current' },
      h('h4', {}, t('risk.current')),
      h('p', { testid: 'risk-answer' }, ctx.i18n.pick(d.risk.unified_answer)),
      h('p', { testid: 'risk-plan-text' }, d.risk.contingency_plan),
      h('p', { class: 'muted' }, t('risk.acceptedBy', { who: person(d.risk.accepted_by), date: day(d.risk.accepted_at) }),
        d.risk.edits > 0 ? ` · ${t('risk.editedBy', { who: person(d.risk.edited_by), date: day(d.risk.edited_at) })}` : '')));
  }
  if (closed) riskArea.append(h('p', { class: 'muted' }, t('risk.closed', { status: t(`status.${d.status}`) })));
  else if (!ctx.readOnly) riskArea.append(riskForm(ctx, project, d.id, d.risk, reload));
  // A region named by its title; Escape anywhere in it closes it (the opener takes focus back).
  return h('section', { class: 'panel', testid: 'defect', 'data-defect': d.id, 'data-status': d.status, role: 'region',
    'aria-labelledby': `defect-title-${d.id}`, onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Escape') close(); } },
    h('div', { class: 'row' },
      h('h3', { class: 'grow', testid: 'defect-title', id: `defect-title-${d.id}`, tabindex: -1 }, t('defect.title', { unit: d.place.unit, room: pick(d.place.room) })),
      h('button', { testid: 'defect-close', onclick: close }, t('dash.close'))),
    h('table', {}, h('tbody', {},
      fact(t('defect.where'), `${pick(d.place.building)} ${d.place.unit_number} · ${pick(d.place.room)} · ${d.place.spot}`),
      fact(t('defect.what'), d.description, 'defect-description'),
      fact(t('defect.category'), pick(d.category) + (d.other_reason ? ` (${d.other_reason})` : '')),
      fact(t('defect.severity'), d.severity),
      fact(t('defect.status'), t(`status.${d.status}`), 'defect-status'),
      fact(t('defect.contractor'), pick(d.contractor)),
      fact(t('defect.responsible'), pick(d.responsible)),
      fact(t('defect.found'), t('defect.foundBy', { round: d.found_round, date: when(d.found_at), who: nameText(ctx.i18n, d.found_by_name) })),
      fact(t('defect.deadline'), t('defect.deadlines', { first: when(d.first_deadline), current: when(d.current_deadline) })),
      fact(t('defect.failed'), String(d.failed_rechecks)),
      fact(t('defect.closed'), when(d.closed_at)))),
    h('h4', {}, t('defect.photos')), d.photos.length ? photos : h('p', { class: 'muted' }, t('defect.noPhotos')),
    d.plan.length || d.plan_image ? [h('h4', {}, t('defect.plan')), plan] : null,
    h('h4', {}, t('defect.history')),
    h('table', { testid: 'defect-history' },
      h('thead', {}, h('tr', {}, ['when', 'who', 'round', 'event'].map(k => h('th', {}, t(`defect.${k}`))))),
      h('tbody', {},
        h('tr', { testid: 'history-row', 'data-type': 'found' }, h('td', {}, when(d.found_at)), h('td', { 'data-key': 'who' }, nameEl(ctx.i18n, d.found_by_name), deviceEl(ctx, d.found_device)),
          h('td', { class: 'num' }, String(d.found_round)), h('td', {}, t('ev.found', { description: d.description }))),
        d.history.map(e => h('tr', { testid: 'history-row', 'data-type': e.type },
        h('td', {}, when(e.at), e.device_at === null ? '' : h('div', { class: 'muted', testid: 'device-time' }, t('defect.deviceClock', { time: when(e.device_at) }))), h('td', { 'data-key': 'who' }, nameEl(ctx.i18n, e.by_name), deviceEl(ctx, e.device)), h('td', { class: 'num' }, String(e.round)),
        h('td', {}, eventText(ctx, e, (c) => names.get(c) ?? c), e.ignored ? ` ${t('defect.ignored')}` : ''))))),
    riskArea);
}

/**
 * Open a defect's panel in `area` (replacing what was there), scroll to it and move focus to its
 * title; closing it gives focus back to what opened it.
 */
export async function openDefect(ctx: Ctx, area: HTMLElement, project: string, id: string, changed: () => void) {
  const opener = document.activeElement instanceof HTMLElement && !area.contains(document.activeElement) ? document.activeElement : null;
  const close = () => {
    mount(area);
    if (opener?.isConnected) opener.focus();
  };
  const panel = await defectPanel(ctx, project, id, close, changed);
  mount(area, panel);
  panel.scrollIntoView();
  panel.querySelector<HTMLElement>('[data-testid="defect-title"]')?.focus({ preventScroll: true });
}
