// The inspector's tablet app: sign in once, pick a unit on the grid, walk it
// room by room (pass / fail / n.a. in one tap), record defects with marked
// photos and a floor-plan pin, recheck earlier defects, sync when there is
// a network. All data and rules live in Rust (walkthrough_client::app);
// this file only shows them and passes taps on.

import * as api from './bindings.js';
import type {
  AppError, AppStatus, DefectForm, DefectView, MarkView, PhotoView, Pin, RecheckItem, SyncProgress, UnitGrid, UnitView,
} from './bindings.js';
import { Html, HtmlValue, html, setHtml } from '../shared/dom.js';
import { I18n, mergeDicts } from '../shared/i18n.js';
import { A11Y_DICTS } from '../shared/strings.js';
import { DEFAULT_ZONE, formatLocal } from '../shared/time.js';
import { STRINGS } from './strings.js';
import { isAppError, listen } from './ipc.js';
import { MarkupHistory, marksSvg, shapeFromGesture, toNormalised, type P, type Tool } from './markup.js';
import { keyboardStart, movePin, planSvg, roomAt, type PlanPin } from './plan.js';

const i18n = new I18n(mergeDicts(A11Y_DICTS, STRINGS));
const t = (k: string, v: Record<string, string | number> = {}) => i18n.t(k, v);
const pick = (x: { zh: string; en: string } | null | undefined) => i18n.pick(x);

interface Markup { photo: number; history: MarkupHistory; tool: Tool; label: string; aspect: number; start: P | null; byPointer: boolean }
interface Recheck { defect: string; note: string; photo: string | null; error: string | null; busy: boolean }

const state = {
  status: null as AppStatus | null,
  progress: null as SyncProgress | null,
  banner: null as AppError | null,
  project: null as string | null,
  round: 1,
  grid: null as UnitGrid | null,
  mineOnly: false,
  unit: null as UnitView | null,
  tab: '',
  form: null as DefectForm | null,
  formError: null as string | null,
  formBusy: false,
  markup: null as Markup | null,
  recheck: null as Recheck | null,
  /** The reason typed for withdrawing the defect open in the form. */
  withdrawReason: '',
  signin: { server: localStorage.getItem('walkthrough.server') ?? 'http://127.0.0.1:8080', username: '', password: '', busy: false, error: null as string | null, errorKind: null as string | null },
  /** Why the company certificate just chosen was refused. */
  caError: null as string | null,
  /** The keyboard's pin on the defect form's plan while the plan has focus (not placed until Enter). */
  planCursor: null as Pin | null,
  /** The temporary password typed at sign-in, kept in memory only for the change that follows. */
  passwordChange: { old: '', next: '', again: '', busy: false, error: null as string | null },
};

const photoCache = new Map<string, string | null>();
const root = document.getElementById('root')!;

// ---------------------------------------------------------------- rendering

/**
 * The dialogs open now, innermost last, each with the control that opened it (test ids), to
 * take focus back when it closes: the markup editor opens over the defect form, and closing it
 * returns to the photo that opened it.
 */
const dialogs: { dialog: string; opener: string | null }[] = [];

/** Which dialog is on screen (the test id of its panel), if any. */
function dialogOnScreen(): string | null {
  const dialog = root.querySelector<HTMLElement>('.modal');
  return dialog ? (dialog.firstElementChild as HTMLElement | null)?.dataset.testid ?? 'dialog' : null;
}

function render() {
  document.documentElement.lang = i18n.lang;
  if (!state.form) state.planCursor = null;
  // Each render replaces the screen: focus stays on the same control (by test id), moves into a
  // dialog that opens, and back to its opener when it closes.
  const had = dialogOnScreen();
  const active = document.activeElement instanceof HTMLElement && root.contains(document.activeElement) ? document.activeElement.dataset.testid ?? null : null;
  const s = state.status;
  let body: Html;
  if (!s) body = html``;
  else if (!s.session) body = renderSignin();
  else if (s.session.must_change_password) body = renderPasswordChange();
  else if (state.unit) body = renderUnit(state.unit);
  else body = renderGrid();
  setHtml(root, html`<div id="top">${renderTop()}</div>${renderBanner()}<main>${body}</main>${renderModal()}`);
  restoreFocus(had, active);
  sizeProgress();
  hydratePhotos();
}

function restoreFocus(hadDialog: string | null, active: string | null) {
  const byId = (id: string | null) => (id ? root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(id)}"]`) : null);
  const now = dialogOnScreen();
  let target: HTMLElement | null;
  if (now === hadDialog) target = byId(active);
  else if (now !== null && !dialogs.some((d) => d.dialog === now)) {
    // A dialog opened (over the screen or over another dialog): focus moves into it.
    dialogs.push({ dialog: now, opener: active });
    target = focusables(root.querySelector<HTMLElement>('.modal')!)[0] ?? null;
  } else {
    // Back to a dialog below, or to the screen: focus returns to what opened the one that closed.
    let opener: string | null = null;
    while (dialogs.length && dialogs[dialogs.length - 1].dialog !== now) opener = dialogs.pop()!.opener;
    target = byId(opener);
  }
  target?.focus({ preventScroll: true });
}

/** What Tab can reach inside `el`, in order. */
function focusables(el: HTMLElement): HTMLElement[] {
  return [...el.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
    .filter((e) => !(e as HTMLButtonElement).disabled && !e.hidden && e.getClientRects().length > 0);
}

// The keyboard: Escape closes the dialog on screen (the markup editor without keeping its new
// marks), Tab stays inside it, and Enter or Space press a photo that acts as a button.
root.addEventListener('keydown', (ev) => {
  const dialog = root.querySelector<HTMLElement>('.modal');
  if (ev.key === 'Escape' && dialog) {
    ev.preventDefault();
    if (state.markup) state.markup = null;
    else if (state.form) state.form = null;
    else if (state.recheck) state.recheck = null;
    render();
  } else if (ev.key === 'Tab' && dialog) {
    const all = focusables(dialog);
    if (all.length === 0) return;
    const first = all[0], last = all[all.length - 1];
    if (ev.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) { ev.preventDefault(); last.focus(); }
    else if (!ev.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) { ev.preventDefault(); first.focus(); }
  } else if ((ev.target as HTMLElement).matches?.('.plan-pick') && state.form && state.unit) {
    planKey(ev, state.form, state.unit);
  } else if ((ev.key === 'Enter' || ev.key === ' ') && (ev.target as HTMLElement).matches('[role="button"][data-action]')) {
    ev.preventDefault();
    (ev.target as HTMLElement).click();
  }
});

/**
 * The defect form's plan by keyboard: the arrows move the keyboard's pin (drawn dashed, the
 * room it is in said in the live note), Enter or Space places it as the defect's pin.
 */
function planKey(ev: KeyboardEvent, f: DefectForm, u: UnitView) {
  const from = state.planCursor ?? keyboardStart(u.rooms, f.room, f.pin);
  const moved = movePin(from, ev.key, ev.shiftKey);
  if (moved) {
    ev.preventDefault();
    state.planCursor = moved;
    redrawPlan();
  } else if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    f.pin = { ...from };
    state.planCursor = { ...from };
    state.formError = null;
    render();
  }
}

/** A pointer is pressing the plan: the focus it brings must not redraw the plan under it (the tap would be lost). */
let planPressed = false;
root.addEventListener('pointerdown', (ev) => { planPressed = !!(ev.target as Element).closest?.('.plan-pick'); }, true);
root.addEventListener('pointerup', () => { setTimeout(() => { planPressed = false; }, 0); }, true);

root.addEventListener('focusin', (ev) => {
  const plan = (ev.target as HTMLElement).closest?.('.plan-pick');
  if (!plan || planPressed || !state.form || !state.unit || state.planCursor) return;
  state.planCursor = keyboardStart(state.unit.rooms, state.form.room, state.form.pin);
  redrawPlan();
});

root.addEventListener('focusout', (ev) => {
  if (!(ev.target as HTMLElement).closest?.('.plan-pick')) return;
  // Re-rendering replaces the plan and focuses the new one: only a real move away hides the keyboard's pin.
  setTimeout(() => {
    if (document.activeElement?.closest('.plan-pick') || !state.planCursor) return;
    state.planCursor = null;
    redrawPlan();
  }, 0);
});

/** The pins on the defect form's plan: the placed one, and the keyboard's while it differs. */
function formPins(f: DefectForm): PlanPin[] {
  const pins: PlanPin[] = f.pin ? [{ pin: f.pin, label: '●', active: true }] : [];
  const c = state.planCursor;
  if (c && !(f.pin && f.pin.x === c.x && f.pin.y === c.y)) pins.push({ pin: c, label: '+', cursor: true });
  return pins;
}

/** What the live note under the plan says: where the keyboard's pin is, or where the pin was placed. */
function planNote(f: DefectForm, u: UnitView): string {
  const own = u.rooms.find((r) => r.id === f.room);
  const c = state.planCursor;
  const at = c ?? f.pin;
  if (!at) return '';
  const room = roomAt(u.rooms, at);
  const placed = !!f.pin && (!c || (f.pin.x === c.x && f.pin.y === c.y));
  const parts: string[] = [];
  if (placed) parts.push(room ? t('plan.placed', { room: pick(room.name) }) : t('plan.placedNowhere'));
  else parts.push(room ? t('plan.in', { room: pick(room.name), x: at.x.toFixed(2), y: at.y.toFixed(2) }) : t('plan.nowhere', { x: at.x.toFixed(2), y: at.y.toFixed(2) }));
  if (own && own.outline.length >= 3 && room?.id !== own.id) parts.push(t('plan.mustBeIn', { room: pick(own.name) }));
  if (!placed) parts.push(t('plan.enter'));
  return parts.join(' ');
}

/** Redraw only the defect form's plan and its note: the plan keeps its focus. */
function redrawPlan() {
  const plan = root.querySelector<HTMLElement>('.plan-pick');
  const f = state.form, u = state.unit;
  if (!plan || !f || !u) return;
  setHtml(plan, planSvg(u.rooms, (r) => pick(r.name), formPins(f), f.room, u.floor_plan, planNames(u, f.room, f.pin ? 1 : 0)));
  const note = root.querySelector('[data-testid="plan-note"]');
  if (note) note.textContent = planNote(f, u);
  hydratePhotos();
}

/** The sync progress bar's width, set through the CSSOM (no inline style attribute, for a strict CSP). */
function sizeProgress() {
  root.querySelectorAll<HTMLElement>('[data-width]').forEach((el) => { el.style.width = `${Number(el.dataset.width)}%`; });
}

function renderTop(): Html {
  const s = state.status;
  const sync = s?.sync;
  const session = s?.session;
  const project = session?.projects.find((p) => p.id === state.project);
  let syncText: HtmlValue = '';
  if (sync) {
    const parts: HtmlValue[] = [];
    if (sync.running) parts.push(t('sync.running'));
    if (!sync.online && sync.last_error) parts.push(html`<span class="badge offline" data-testid="offline">${t('sync.offline')}</span>`);
    parts.push(sync.pending_changes > 0 ? t('sync.pending', { n: sync.pending_changes }) : t('sync.all'));
    if (sync.pending_photos > 0) parts.push(t('sync.photos', { n: sync.pending_photos }));
    parts.push(sync.last_sync_ms ? t('sync.last', { time: fmtTime(sync.last_sync_ms) }) : t('sync.never'));
    const o = sync.offline;
    if (o.wanted > 0 || o.budget_bytes > 0) {
      parts.push(html`<span data-testid="offline-held" data-held="${o.held}" data-wanted="${o.wanted}" data-over="${o.over_budget}" title="${t('sync.offlineHint')}">${t('sync.offlineHeld', { held: o.held, wanted: o.wanted, size: fmtBytes(o.bytes), budget: fmtBytes(o.budget_bytes) })}</span>`);
      if (o.over_budget > 0) parts.push(html`<span class="badge offline" data-testid="offline-over-budget">${t('sync.overBudget', { n: o.over_budget })}</span>`);
    }
    syncText = parts.map((x, i) => (i ? html` · ${x}` : x));
  }
  const p = state.progress;
  const progressKey = p?.phase === 'photos' ? 'sync.photosProgress' : p?.phase === 'offline' ? 'sync.offlineProgress' : 'sync.documents';
  const progress = p
    ? html`<div class="progress" data-testid="sync-progress" data-phase="${p.phase}"><div data-width="${p.total ? (100 * p.done) / p.total : 100}"></div>\
<span>${t(progressKey, { done: p.done, total: p.total, size: fmtBytes(p.bytes) })}</span></div>`
    : '';
  const rounds = project?.rounds.map((r) => html`<option value="${r.no}" ${r.no === state.round ? 'selected' : ''}>${t('grid.round', { n: r.no })}</option>`) ?? '';
  return html`<header class="top">
    <strong class="brand">${t('app.title')}</strong>
    ${project ? html`<span class="project">${pick(project.name)}</span><select data-testid="round-select" data-action="round" aria-label="${t('a11y.round')}">${rounds}</select>` : ''}
    <span class="grow"></span>
    ${session ? html`<span class="sync-status" data-testid="sync-status" data-pending="${sync?.pending_changes ?? 0}" data-last="${sync?.last_sync_ms ?? ''}" data-running="${sync?.running ? 1 : 0}" data-online="${sync?.online ? 1 : 0}">${syncText}</span>
      <button data-testid="sync-button" data-action="sync" ${sync?.running ? 'disabled' : ''}>${t('sync.button')}</button>
      <span class="who">${session.name}</span>` : ''}
    <button data-testid="lang-toggle" data-action="lang" lang="${i18n.lang === 'zh-CN' ? 'en' : 'zh-CN'}">${t('lang.switch')}</button>
  </header>${progress}`;
}

function renderBanner(): Html {
  const b = state.banner;
  if (!b) return html``;
  // A certificate this tablet does not trust: the company's own certificate can be added right here.
  const ca = b.kind === 'certificate' ? html`<p>${t('ca.untrustedHint')}</p>${renderCompanyCa()}` : '';
  return html`<div class="error banner" data-testid="error-banner" data-kind="${b.kind}"><strong>${t('error.' + b.kind)}</strong> ${b.kind === 'offline' ? '' : b.message}
    ${b.kind === 'offline' ? t('error.offline') : ''}<button data-action="dismiss">${t('common.close')}</button>${ca}</div>`;
}

function renderSignin(): Html {
  const f = state.signin;
  return html`<form class="panel signin" data-testid="signin" data-action="signin">
    <h1>${t('signin.title')}</h1><p class="muted">${t('signin.hint')}</p>
    <label>${t('signin.server')}<input data-testid="signin-server" data-bind="signin.server" value="${f.server}" autocomplete="url"></label>
    <label>${t('signin.username')}<input data-testid="signin-username" data-bind="signin.username" value="${f.username}" autocomplete="username"></label>
    <label>${t('signin.password')}<input data-testid="signin-password" data-bind="signin.password" type="password" value="${f.password}" autocomplete="current-password"></label>
    ${renderCompanyCa()}
    ${f.error ? html`<p class="error" data-testid="signin-error" data-kind="${f.errorKind ?? ''}">${f.error}</p>` : ''}
    ${f.errorKind === 'certificate' ? html`<p data-testid="signin-ca-hint">${t('ca.untrustedHint')}</p>` : ''}
    <button class="primary" data-testid="signin-submit" type="submit" ${f.busy ? 'disabled' : ''}>${f.busy ? t('signin.working') : t('signin.submit')}</button>
  </form>`;
}

/**
 * The company certificate (CA, PEM): optional, for a server whose certificate a company's own
 * authority issued. A chosen file is checked and kept by the app at once; every sync trusts it.
 */
function renderCompanyCa(): Html {
  const trust = state.status?.trust;
  const ca = trust?.company_ca;
  const managed = trust?.ca_file_override;
  return html`<fieldset class="company-ca" data-testid="company-ca">
    <legend>${t('ca.label')}</legend>
    ${managed ? html`<p class="muted" data-testid="company-ca-managed">${t('ca.managed', { path: managed })}</p>` : ''}
    ${ca
      ? html`<p data-testid="company-ca-chosen" data-file="${ca.file_name}">${t('ca.chosen', { file: ca.file_name, n: ca.certificates })}<code class="fingerprint">${ca.fingerprint}</code></p>
        <button type="button" data-action="company-ca-clear" data-testid="company-ca-clear">${t('ca.remove')}</button>`
      : html`<p class="muted" id="company-ca-hint">${t('ca.hint')}</p>`}
    <input type="file" accept=".pem,.crt,.cer,application/x-pem-file,application/x-x509-ca-cert" data-action="company-ca-file" data-testid="company-ca-input" aria-label="${t('ca.label')}">
    ${state.caError ? html`<p class="error" data-testid="company-ca-error" role="alert">${t('ca.refused')}: ${state.caError}</p>` : ''}
  </fieldset>`;
}

function renderPasswordChange(): Html {
  const f = state.passwordChange;
  return html`<form class="panel signin" data-testid="password-change" data-action="change-password">
    <h1>${t('password.title')}</h1><p class="muted">${t('password.hint')}</p>
    <label>${t('password.old')}<input data-testid="password-old" data-bind="passwordChange.old" type="password" value="${f.old}" autocomplete="current-password"></label>
    <label>${t('password.new')}<input data-testid="password-new" data-bind="passwordChange.next" type="password" value="${f.next}" autocomplete="new-password"></label>
    <label>${t('password.again')}<input data-testid="password-again" data-bind="passwordChange.again" type="password" value="${f.again}" autocomplete="new-password"></label>
    ${f.error ? html`<p class="error" data-testid="password-error">${f.error}</p>` : ''}
    <button class="primary" data-testid="password-submit" type="submit" ${f.busy ? 'disabled' : ''}>${t('password.submit')}</button>
  </form>`;
}

function renderGrid(): Html {
  const g = state.grid;
  if (!g) return html`<p class="panel">${t('grid.noProject')}</p>`;
  const c = g.counts;
  const legend = (['not_started', 'in_progress', 'done', 'done_with_open_defects'] as const)
    .map((k) => html`<span class="legend ${k}">${t('status.' + k)} <b data-testid="count-${k}">${c[k]}</b></span>`);
  const buildings = g.buildings.map((b) => {
    const floors = b.floors.map((f) => {
      const units = f.units.filter((u) => !state.mineOnly || u.assigned).map((u) =>
        html`<button class="unit ${u.status}${u.assigned ? ' mine' : ''}" data-testid="unit-${u.id}" data-status="${u.status}" data-action="open-unit" data-unit="${u.id}">
          <span class="no">${u.number}</span>${u.open_defects ? html`<span class="count">${u.open_defects}</span>` : ''}<span class="sr-only">${[t('status.' + u.status), u.open_defects ? t('a11y.openDefects', { n: u.open_defects }) : ''].filter(Boolean).map((x) => ` · ${x}`).join('')}</span></button>`);
      return units ? html`<div class="floor"><span class="floor-no">${t('grid.floor', { n: f.floor })}</span>${units}</div>` : '';
    });
    return html`<section class="building"><h2>${pick(b.name)}</h2>${floors}</section>`;
  });
  return html`<div data-testid="unit-grid" class="grid-screen">
    <div class="row legend-row" data-testid="grid-counts">${legend}
      <label class="mine-toggle"><input type="checkbox" data-action="mine" ${state.mineOnly ? 'checked' : ''}> ${t('grid.mine')}</label></div>
    ${buildings}</div>`;
}

function renderUnit(u: UnitView): Html {
  const open = u.recheck.filter((r) => r.done === null).length;
  // A withdrawn defect (recorded in error) leaves the lists; its history stays, folded away.
  const live = u.defects.filter((d) => d.status !== 'withdrawn');
  const withdrawn = u.defects.filter((d) => d.status === 'withdrawn');
  const tabs = u.rooms.map((r) => {
    const done = r.items.filter((i) => i.outcome).length;
    return html`<button class="tab ${state.tab === r.id ? 'active' : ''}" data-testid="room-tab-${r.id}" data-action="tab" data-tab="${r.id}">${pick(r.name)} <small>${done}/${r.items.length}</small></button>`;
  });
  const extra = html`${u.round > 1 ? html`<button class="tab ${state.tab === 'recheck' ? 'active' : ''}" data-testid="tab-recheck" data-action="tab" data-tab="recheck">${t('unit.recheck', { n: open })}</button>` : ''}
    <button class="tab ${state.tab === 'defects' ? 'active' : ''}" data-testid="tab-defects" data-action="tab" data-tab="defects">${t('unit.defects', { n: live.length })}</button>`;
  let content: HtmlValue = '';
  if (state.tab === 'recheck') content = renderRecheckList(u);
  else if (state.tab === 'defects') {
    content = html`${live.length ? live.map((d) => renderDefectCard(d)) : html`<p class="muted">—</p>`}
      ${withdrawn.length ? html`<details class="withdrawn" data-testid="withdrawn-list"><summary>${t('unit.withdrawn', { n: withdrawn.length })}</summary>${withdrawn.map((d) => renderDefectCard(d))}</details>` : ''}`;
  }
  else {
    const room = u.rooms.find((r) => r.id === state.tab) ?? u.rooms[0];
    content = room ? room.items.map((it) => {
      const id = `item-${room.id}-${it.code}`;
      const btn = (o: string, key: string, cls: string) =>
        html`<button class="${cls} ${it.outcome === o ? 'selected' : ''}" data-testid="${id}-${key}" data-action="result" data-room="${room.id}" data-item="${it.code}" data-outcome="${o}">${t('item.' + key)}</button>`;
      const defects = it.defects.map((did) => live.find((d) => d.id === did)).filter(Boolean) as DefectView[];
      return html`<div class="item panel" data-testid="${id}" data-outcome="${it.outcome ?? ''}">
        <div class="item-text"><strong>${pick(it.title)}</strong>
          <div class="muted"><b>${t('item.standard')}</b> ${pick(it.standard)}</div>
          <div class="muted"><b>${t('item.method')}</b> ${pick(it.method)}</div>
          ${defects.map((d) => html`<button class="chip ${d.status}" data-action="edit-defect" data-defect="${d.id}" data-testid="chip-${d.id}">${d.spot || d.description}</button>`)}
        </div>
        <div class="item-buttons">${btn('pass', 'pass', 'pass')}${btn('fail', 'fail', 'fail')}${btn('not_applicable', 'na', 'na')}
          ${it.outcome === 'fail' ? html`<button data-action="fail" data-room="${room.id}" data-item="${it.code}" data-testid="${id}-add">${t('item.addDefect')}</button>` : ''}</div>
      </div>`;
    }) : '';
  }
  return html`<div data-testid="unit-view" data-unit="${u.unit}" data-status="${u.status}" class="unit-screen">
    <div class="row unit-head"><button data-testid="back" data-action="back">← ${t('unit.back')}</button>
      <h1>${pick(u.building)} ${u.number}</h1><span class="muted">${pick(u.unit_type)} · ${t('grid.round', { n: u.round })}</span>
      <span class="badge ${u.status}" data-testid="unit-status">${t('status.' + u.status)}</span></div>
    <nav class="tabs">${tabs}${extra}</nav>
    <div class="unit-body"><div class="unit-content">${renderRisks(u)}${content}</div>
      <aside class="unit-plan"><h3>${t('unit.plan')}</h3>${planSvg(u.rooms, (r) => pick(r.name), live.filter((d) => d.pin).map((d, i) => ({ pin: d.pin!, label: String(i + 1) })), state.tab, u.floor_plan, planNames(u, state.tab, live.filter((d) => d.pin).length))}</aside></div>
  </div>`;
}

/** What a defect's photo `i` shows, for its alt text: "Defect photo 2 of 3: living room, hollow wall". */
function photoAlt(d: { room_name?: { zh: string; en: string } | null; description: string }, i: number, total: number, room = d.room_name): string {
  return t('a11y.photo', { n: i + 1, total, room: pick(room), what: d.description });
}

/** The marks' accessible name: how many, and the words written on the photo. */
function marksName(marks: MarkView[]): string {
  const texts = marks.flatMap((m) => (m.shape.kind === 'label' && m.shape.text.trim() ? [m.shape.text.trim()] : []));
  return t(texts.length ? 'a11y.marksText' : 'a11y.marks', { n: marks.length, texts: texts.join(' / ') });
}

/** The floor plan's names: the image ("Floor plan, type A") and the outlines with `pins` pins over it. */
function planNames(u: UnitView, current: string | null, pins: number): { image: string; overlay: string } {
  const room = u.rooms.find((r) => r.id === current);
  return { image: t('a11y.planType', { type: pick(u.unit_type) }), overlay: t('a11y.planPins', { room: pick(room?.name) || '—', n: pins }) };
}

function photoFigure(p: PhotoView, testid: string, alt: string, action = '', index: number | null = null, caption: HtmlValue = ''): Html {
  const why = p.missing ? html`<figcaption class="muted photo-why" data-testid="${testid}-missing" data-why="${p.missing}">${t('photo.why.' + p.missing)}</figcaption>` : '';
  // A photo that opens the markup editor is a button for the keyboard too (Enter, Space).
  const control = action ? html`data-action="${action}" role="button" tabindex="0" aria-label="${t('a11y.openMarkup', { photo: alt })}"` : '';
  return html`<figure class="photo" data-testid="${testid}" ${control} ${index === null ? '' : html`data-index="${index}"`}>
    <div class="frame"><img data-photo="${p.hash}" data-variant="thumb" alt="${alt}">
    <div class="overlay" data-marks="${JSON.stringify(p.marks)}">${marksSvg(p.marks, 0.75, 'marks', p.marks.length ? marksName(p.marks) : undefined)}</div></div>${caption ? html`<figcaption>${caption}</figcaption>` : ''}${why}</figure>`;
}

/** The accepted risks of a unit: what every member of staff says at handover. */
function renderRisks(u: UnitView): Html {
  const risks = u.defects.filter((d) => d.risk);
  if (risks.length === 0) return html``;
  return html`<section class="panel risks" data-testid="risks"><h3>${t('risk.title', { n: risks.length })}</h3>${risks.map((d) => {
    const r = d.risk!;
    return html`<div class="risk" data-testid="risk-${d.id}"><strong>${pick(d.room_name)} · ${d.spot || d.description}</strong>
      <div><b>${t('risk.answer')}</b> <span data-testid="risk-answer-${d.id}">${pick(r.unified_answer)}</span></div>
      <div><b>${t('risk.plan')}</b> <span data-testid="risk-plan-${d.id}">${r.contingency_plan}</span></div>
      <div class="muted">${t('risk.accepted', { name: r.accepted_by_name, time: fmtTime(r.accepted_at_ms) })}</div></div>`;
  })}</section>`;
}

/** Before / after: the original marked photo beside the contractor's report and evidence photo. */
function renderFixReport(d: DefectView, r: RecheckItem, testid: string): Html {
  const f = r.fix_report;
  if (!f) return html``;
  const before = d.photos[0];
  const after = f.photo ? photoFigure({ hash: f.photo, marks: [], available: !f.photo_missing, missing: f.photo_missing ?? undefined }, `${testid}-after`, t('a11y.fixPhoto', { room: pick(d.room_name), what: d.description }), '', null, t('recheck.after')) : '';
  return html`<div class="fix-report" data-testid="${testid}">
    <p><b>${t('recheck.report', { name: f.by_name, time: fmtTime(f.at_ms) })}</b> <span data-testid="${testid}-note">${f.note}</span></p>
    <div class="photos before-after">${before ? photoFigure(before, `${testid}-before`, photoAlt(d, 0, d.photos.length), '', null, t('recheck.before')) : ''}${after}</div></div>`;
}

function renderDefectCard(d: DefectView): Html {
  return html`<div class="panel defect" data-testid="defect-${d.id}" data-status="${d.status}">
    <div class="row"><span class="badge ${d.status}" data-testid="defect-status-${d.id}">${t('dstatus.' + d.status)}</span>
      <strong>${pick(d.room_name)} · ${d.spot}</strong><span class="muted">${pick(d.category_name)} · ${t('severity.' + d.severity)}</span>
      <span class="grow"></span><span class="muted">${t('defect.round', { n: d.found_round })}${d.deadline_ms ? ' · ' + t('defect.deadline', { time: fmtTime(d.deadline_ms) }) : ''}</span>
      ${d.status === 'withdrawn' ? '' : html`<button data-action="edit-defect" data-defect="${d.id}" data-testid="open-defect-${d.id}" aria-label="${t('defect.edit')}">✎</button>`}</div>
    <p>${d.description}</p>
    <div class="photos">${d.photos.map((p, i) => photoFigure(p, `defect-photo-${d.id}-${i}`, photoAlt(d, i, d.photos.length)))}</div>
    ${renderHistory(d)}</div>`;
}

function renderHistory(d: DefectView): Html {
  return html`<details class="history" data-testid="history-${d.id}"><summary>${t('defect.history')} (${d.history.length})</summary><ol>${d.history.map((h) =>
    html`<li data-kind="${h.kind}"><span class="muted">${fmtTime(h.at_ms)}${h.device_at_ms === null ? '' : html` <span data-testid="device-time">(${t('history.deviceClock', { time: fmtTime(h.device_at_ms) })})</span>`} · ${t('defect.round', { n: h.round })}</span> <b>${h.by_name}</b>${h.device === null ? '' : html` <span class="muted" data-testid="history-device">(${t('history.onDevice', { device: h.device })})</span>`}${h.by_server ? html` <span class="muted" data-testid="history-device">(${t('history.onServer')})</span>` : ''} ${t('history.' + h.kind)}${h.passed === null ? '' : html` ${t(h.passed ? 'history.passed' : 'history.failed')}`} ${h.detail}</li>`)}</ol></details>`;
}

function renderRecheckList(u: UnitView): Html {
  if (u.recheck.length === 0) return html`<p class="muted" data-testid="recheck-empty">${t('recheck.empty')}</p>`;
  return html`${u.recheck.map((r) => {
    const d = u.defects.find((x) => x.id === r.defect);
    if (!d) return '';
    const done = r.done === null ? '' : html`<span class="badge ${r.done ? 'verified' : 'failed_recheck'}" data-testid="recheck-done-${d.id}">${t('recheck.done.' + r.done)}</span>`;
    return html`<div class="panel defect recheck-item" data-testid="recheck-${d.id}" data-done="${r.done === null ? '' : String(r.done)}">
      <div class="row"><strong>${pick(d.room_name)} · ${d.spot}</strong><span class="muted">${t('recheck.foundIn', { n: r.found_round })} · ${t('dstatus.' + d.status)}</span>
        <span class="grow"></span>${done}
        ${r.done === null ? html`<button class="primary" data-action="open-recheck" data-defect="${d.id}" data-testid="recheck-open-${d.id}">${t('recheck.title')}</button>` : ''}</div>
      <p>${d.description}</p>${renderFixReport(d, r, `recheck-report-${d.id}`)}<div class="photos">${d.photos.map((p, i) => photoFigure(p, `recheck-photo-${d.id}-${i}`, photoAlt(d, i, d.photos.length)))}</div>${renderHistory(d)}</div>`;
  })}`;
}

function renderModal(): Html {
  if (state.markup && state.form) return renderMarkup(state.markup, state.form);
  if (state.form && state.unit) return renderDefectForm(state.form, state.unit);
  if (state.recheck && state.unit) return renderRecheck(state.recheck, state.unit);
  return html``;
}

function renderDefectForm(f: DefectForm, u: UnitView): Html {
  const opt = (items: { id: string; name: { zh: string; en: string } }[], value: string | null, none = false) =>
    html`${none ? html`<option value="">${t('defect.none')}</option>` : ''}${items.map((c) => html`<option value="${c.id}" ${c.id === value ? 'selected' : ''}>${pick(c.name)}</option>`)}`;
  const cat = u.choices.categories.find((c) => c.id === f.category);
  const sev = ['minor', 'major', 'critical'].map((s) => html`<option value="${s}" ${s === f.severity ? 'selected' : ''}>${t('severity.' + s)}</option>`);
  const room = u.rooms.find((r) => r.id === f.room);
  const item = room?.items.find((i) => i.code === f.item);
  const pins = f.pin ? [{ pin: f.pin, label: '●', active: true }] : [];
  return html`<div class="modal" role="dialog" aria-modal="true" aria-labelledby="defect-form-title"><form class="panel sheet" data-testid="defect-form" data-action="save-defect">
    <h2 id="defect-form-title">${f.id ? t('defect.edit') : t('defect.new')} · ${pick(room?.name)}${item ? html` · ${pick(item.title)}` : ''}</h2>
    ${state.formError ? html`<p class="error" data-testid="form-error">${state.formError}</p>` : ''}
    <div class="form-grid"><div>
      <label>${t('defect.spot')}<input data-testid="defect-spot" data-bind="form.spot" value="${f.spot}"></label>
      <label>${t('defect.description')}<textarea data-testid="defect-description" data-bind="form.description" rows="3">${f.description}</textarea></label>
      <div class="row"><label class="grow">${t('defect.category')}<select data-testid="defect-category" data-bind="form.category">${opt(u.choices.categories, f.category)}</select></label>
        <label>${t('defect.severity')}<select data-testid="defect-severity" data-bind="form.severity">${sev}</select></label></div>
      ${cat?.needs_reason ? html`<label>${t('defect.otherReason')}<input data-testid="defect-other-reason" data-bind="form.other_reason" value="${f.other_reason}"></label>` : ''}
      <div class="row"><label class="grow">${t('defect.trade')}<select data-testid="defect-trade" data-bind="form.trade">${opt(u.choices.trades, f.trade)}</select></label>
        <label class="grow">${t('defect.responsible')}<select data-testid="defect-responsible" data-bind="form.responsible">${opt(u.choices.contractors, f.responsible, true)}</select></label></div>
      <div class="row"><label class="grow">${t('defect.rootCause')}<select data-testid="defect-root-cause" data-bind="form.root_cause">${opt(u.choices.categories, f.root_cause, true)}</select></label>
        <label class="grow">${t('defect.rootCauseNote')}<input data-testid="defect-root-cause-note" data-bind="form.root_cause_note" value="${f.root_cause_note}"></label></div>
    </div><div>
      <label>${t('defect.photos')}</label>
      <div class="photos">${f.photos.map((p, i) => photoFigure(p, `photo-thumb-${i}`, photoAlt(f, i, f.photos.length, room?.name), 'open-markup', i))}
        <label class="button add-photo">${t('defect.addPhoto')}<input type="file" class="sr-only" accept="image/*" capture="environment" data-testid="photo-input" data-action="photo-file"></label></div>
      <span class="field-label" id="defect-pin-label">${t('defect.pin')}</span>
      <div class="plan-pick" data-testid="plan" data-action="pin" tabindex="0" role="group" aria-labelledby="defect-pin-label" aria-describedby="plan-keys plan-note">${planSvg(u.rooms, (r) => pick(r.name), formPins(f), f.room, u.floor_plan, planNames(u, f.room, pins.length))}</div>
      <p class="sr-only" id="plan-keys">${t('plan.keys')}</p>
      <p class="muted plan-note" id="plan-note" data-testid="plan-note" aria-live="polite">${planNote(f, u)}</p>
      ${f.pin ? html`<button type="button" data-action="unpin" data-testid="unpin">${t('defect.pinClear')}</button><span data-testid="pin-set" class="muted"> ${f.pin.x.toFixed(2)}, ${f.pin.y.toFixed(2)}</span>` : ''}
    </div></div>
    ${f.id && withdrawable(u, f.id) ? html`<details class="withdraw" data-testid="withdraw"><summary>${t('withdraw.open')}</summary>
      <p class="muted">${t('withdraw.hint')}</p>
      <label>${t('withdraw.reason')}<textarea data-testid="withdraw-reason" data-bind="withdraw.reason" rows="2">${state.withdrawReason}</textarea></label>
      <button type="button" class="fail" data-action="withdraw-defect" data-testid="withdraw-confirm" ${state.formBusy ? 'disabled' : ''}>${t('withdraw.confirm')}</button></details>` : ''}
    <div class="row actions"><button type="button" data-action="cancel-form" data-testid="defect-cancel">${t('defect.cancel')}</button><span class="grow"></span>
      <button class="primary" type="submit" data-testid="defect-save" ${state.formBusy ? 'disabled' : ''}>${t('defect.save')}</button></div>
  </form></div>`;
}

/** Open and recorded on this tablet's account (the core refuses the rest, in words). */
function withdrawable(u: UnitView, id: string): boolean {
  const d = u.defects.find((x) => x.id === id);
  return !!d && !['verified', 'accepted_risk', 'withdrawn'].includes(d.status);
}

function renderMarkup(m: Markup, f: DefectForm): Html {
  const p = f.photos[m.photo];
  const tool = (k: Tool) => html`<button type="button" class="${m.tool === k ? 'primary' : ''}" data-action="tool" data-tool="${k}" data-testid="tool-${k}">${t('markup.' + k)}</button>`;
  return html`<div class="modal" role="dialog" aria-modal="true" aria-label="${t('a11y.markup')}"><div class="panel sheet markup" data-testid="markup-editor">
    <div class="row">${tool('circle')}${tool('arrow')}${tool('label')}
      ${m.tool === 'label' ? html`<input class="label-text" data-testid="markup-label-text" data-bind="markup.label" value="${m.label}" placeholder="${t('markup.labelText')}" aria-label="${t('markup.labelText')}" maxlength="40">` : ''}
      <span class="grow"></span>
      <button type="button" data-action="undo" data-testid="markup-undo" ${m.history.canUndo ? '' : 'disabled'}>${t('markup.undo')}</button>
      <button type="button" class="primary" data-action="markup-done" data-testid="markup-done">${t('markup.done')}</button></div>
    <p class="muted">${t('markup.hint')} <span data-testid="mark-count">${m.history.marks.length}</span></p>
    <div class="markup-surface" data-testid="markup-surface">
      <img data-photo="${p.hash}" data-variant="preview" alt="${photoAlt(f, m.photo, f.photos.length, state.unit?.rooms.find((r) => r.id === f.room)?.name)}" data-markup-img="1">
      <div class="overlay">${marksSvg(m.history.marks, m.aspect, 'markup-marks')}</div></div>
  </div></div>`;
}

function renderRecheck(r: Recheck, u: UnitView): Html {
  const d = u.defects.find((x) => x.id === r.defect);
  if (!d) return html``;
  return html`<div class="modal" role="dialog" aria-modal="true" aria-labelledby="recheck-title"><div class="panel sheet" data-testid="recheck-modal">
    <h2 id="recheck-title">${t('recheck.title')} · ${pick(d.room_name)} · ${d.spot}</h2><p>${d.description}</p>
    ${(() => { const item = u.recheck.find((x) => x.defect === d.id); return item ? renderFixReport(d, item, 'recheck-modal-report') : ''; })()}
    <div class="photos">${d.photos.map((p, i) => photoFigure(p, `recheck-modal-photo-${i}`, photoAlt(d, i, d.photos.length)))}</div>
    ${renderHistory(d)}
    ${r.error ? html`<p class="error" data-testid="recheck-error">${r.error}</p>` : ''}
    <label>${t('recheck.note')}<textarea data-testid="recheck-note" data-bind="recheck.note" rows="2">${r.note}</textarea></label>
    <label>${t('recheck.photo')}</label>
    <div class="photos">${r.photo ? photoFigure({ hash: r.photo, marks: [], available: true }, 'recheck-new-photo', t('a11y.recheckPhoto', { room: pick(d.room_name), what: d.description })) : ''}
      <label class="button add-photo">${t('defect.addPhoto')}<input type="file" class="sr-only" accept="image/*" capture="environment" data-testid="recheck-photo-input" data-action="recheck-photo"></label></div>
    <div class="row actions"><button type="button" data-action="close-recheck">${t('defect.cancel')}</button><span class="grow"></span>
      <button class="fail" data-action="recheck-fail" data-testid="recheck-fail" ${r.busy ? 'disabled' : ''}>${t('recheck.fail')}</button>
      <button class="pass" data-action="recheck-pass" data-testid="recheck-pass" ${r.busy ? 'disabled' : ''}>${t('recheck.pass')}</button></div>
  </div></div>`;
}

function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  return `${Math.round(n / 1024 ** 2)} MB`;
}

/** A time in the open project's zone (not the tablet's), with its offset. */
function fmtTime(ms: number): string {
  const zone = state.status?.session?.projects.find((p) => p.id === state.project)?.time_zone;
  return formatLocal(ms, zone ?? DEFAULT_ZONE);
}

/** Fill photo <img>s from the app (cached), and fit their marks to the photo's shape. */
function hydratePhotos() {
  root.querySelectorAll<HTMLImageElement>('img[data-photo]').forEach(async (img) => {
    const hash = img.dataset.photo!, variant = img.dataset.variant!;
    const key = `${hash}/${variant}`;
    let url = photoCache.get(key);
    if (url === undefined) {
      let why: string | null = null;
      try { const p = await api.photo(hash, variant); url = p.url; why = p.missing; } catch { url = null; }
      // Only what is shown is cached: a missing photo may arrive with the next sync.
      if (url) photoCache.set(key, url);
      else { img.alt = t(why ? 'photo.why.' + why : 'photo.missing'); img.dataset.why = why ?? ''; img.classList.add('missing'); return; }
    }
    if (!url) { img.alt = t('photo.missing'); img.classList.add('missing'); return; }
    img.onload = () => {
      const aspect = img.naturalHeight / img.naturalWidth;
      const overlay = img.parentElement?.querySelector<HTMLElement>('.overlay');
      if (img.dataset.markupImg && state.markup) {
        if (Math.abs(state.markup.aspect - aspect) > 0.001) { state.markup.aspect = aspect; redrawMarkup(); }
      } else if (overlay?.dataset.marks) {
        setHtml(overlay, marksSvg(JSON.parse(overlay.dataset.marks) as MarkView[], aspect));
      }
      img.dataset.loaded = '1';
      (window as unknown as { __photoShown?: (h: string) => void }).__photoShown?.(hash);
    };
    img.src = url;
  });
}

function redrawMarkup() {
  const m = state.markup;
  const overlay = root.querySelector('.markup-surface .overlay');
  if (!m || !overlay) return;
  setHtml(overlay, marksSvg(m.history.marks, m.aspect, 'markup-marks'));
  const count = root.querySelector('[data-testid="mark-count"]');
  if (count) count.textContent = String(m.history.marks.length);
  const undo = root.querySelector<HTMLButtonElement>('[data-testid="markup-undo"]');
  if (undo) undo.disabled = !m.history.canUndo;
}

// ---------------------------------------------------------------- actions

function showError(e: unknown) {
  state.banner = isAppError(e) ? e : { kind: 'internal', message: String(e) };
  render();
}

async function refreshStatus() {
  try { state.status = await api.status(); } catch (e) { showError(e); return; }
  const projects = state.status.session?.projects ?? [];
  if (!state.project || !projects.some((p) => p.id === state.project)) {
    const p = projects[0];
    state.project = p?.id ?? null;
    state.round = p?.current_round ?? p?.rounds[0]?.no ?? 1;
  }
}

async function loadGrid() {
  if (!state.project) { state.grid = null; return; }
  try { state.grid = await api.unitGrid(state.project, state.round); } catch (e) { showError(e); }
}

async function reloadUnit() {
  const shown = state.unit;
  if (!shown) return;
  try {
    const fresh = await api.openUnit(shown.project, shown.unit, state.round);
    // The inspector may have left the unit meanwhile: never bring it back.
    if (state.unit?.unit === shown.unit) state.unit = fresh;
  } catch (e) { showError(e); }
}

async function syncNow() {
  state.banner = null;
  if (state.status) state.status.sync.running = true;
  render();
  try { state.status = await api.syncNow(); } catch (e) { state.banner = isAppError(e) ? e : { kind: 'internal', message: String(e) }; }
  state.progress = null;
  await refreshStatus();
  if (state.unit) await reloadUnit(); else await loadGrid();
  render();
}

function readFile(input: HTMLInputElement, kind = 'photo'): Promise<string | null> {
  const file = input.files?.[0];
  if (!file) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject({ kind, message: `${file.name}: ${r.error?.message ?? 'unreadable'}` });
    r.readAsDataURL(file);
  });
}

/** A company certificate chosen: the app checks it and keeps it, or says what is wrong with it. */
async function chooseCompanyCa(input: HTMLInputElement) {
  const name = input.files?.[0]?.name ?? '';
  try {
    const data = await readFile(input, 'invalid');
    if (data === null) return;
    state.status = await api.setCompanyCa(name, data);
    state.caError = null;
  } catch (e) {
    state.caError = isAppError(e) ? e.message : String(e);
    render();
    return;
  }
  // Signed in and refused for the certificate: try again with the one just chosen.
  if (state.status?.session && state.banner?.kind === 'certificate') { await syncNow(); return; }
  render();
}

async function takePhoto(input: HTMLInputElement): Promise<string | null> {
  const started = performance.now();
  const data = await readFile(input);
  if (!data) return null;
  const hash = await api.takePhoto(data);
  (window as unknown as { __photoTimings: Record<string, number> }).__photoTimings ??= {};
  const timings = (window as unknown as { __photoTimings: Record<string, number> }).__photoTimings;
  (window as unknown as { __photoShown?: (h: string) => void }).__photoShown = (h) => {
    if (h === hash && timings[h] === undefined) timings[h] = performance.now() - started;
  };
  return hash;
}

function bindValue(path: string, value: string) {
  const [obj, field] = path.split('.');
  if (obj === 'signin') (state.signin as Record<string, unknown>)[field] = value;
  else if (obj === 'passwordChange') (state.passwordChange as Record<string, unknown>)[field] = value;
  else if (obj === 'form' && state.form) (state.form as unknown as Record<string, unknown>)[field] = value === '' && field !== 'spot' && field !== 'description' ? null : value;
  else if (obj === 'markup' && state.markup) state.markup.label = value;
  else if (obj === 'recheck' && state.recheck) state.recheck.note = value;
  else if (obj === 'withdraw') state.withdrawReason = value;
}

root.addEventListener('input', (ev) => {
  const el = ev.target as HTMLInputElement;
  if (el.dataset.bind) bindValue(el.dataset.bind, el.value);
});

root.addEventListener('change', async (ev) => {
  const el = ev.target as HTMLInputElement;
  if (el.dataset.bind) {
    bindValue(el.dataset.bind, el.value);
    if (el.dataset.bind === 'form.category' && state.form && state.unit) {
      // A category brings its severity; "other" asks for a reason.
      const c = state.unit.choices.categories.find((x) => x.id === el.value);
      if (c?.severity) state.form.severity = c.severity;
      render();
    }
    return;
  }
  const action = el.dataset.action;
  try {
    if (action === 'round') { state.round = Number((el as unknown as HTMLSelectElement).value); if (state.unit) await reloadUnit(); else await loadGrid(); render(); }
    else if (action === 'mine') { state.mineOnly = el.checked; render(); }
    else if (action === 'photo-file' && state.form) {
      const hash = await takePhoto(el);
      if (hash) { state.form.photos = [...state.form.photos, { hash, marks: [], available: true }]; state.formError = null; render(); }
    } else if (action === 'company-ca-file') {
      await chooseCompanyCa(el);
    } else if (action === 'recheck-photo' && state.recheck) {
      const hash = await takePhoto(el);
      if (hash) { state.recheck.photo = hash; render(); }
    }
  } catch (e) {
    // Keep the form open: the inspector's typing is not lost.
    if (state.form) { state.formError = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e); render(); }
    else if (state.recheck) { state.recheck.error = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e); render(); }
    else showError(e);
  }
});

root.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  if (form.dataset.action === 'signin') await signIn();
  if (form.dataset.action === 'change-password') await changePassword();
  if (form.dataset.action === 'save-defect') await saveDefect();
});

async function signIn() {
  const f = state.signin;
  f.busy = true; f.error = null; f.errorKind = null; render();
  try {
    state.status = await api.signIn(f.server, f.username, f.password);
    localStorage.setItem('walkthrough.server', f.server);
    if (state.status.session?.must_change_password) state.passwordChange.old = f.password;
    f.password = '';
    state.banner = state.status.sync.last_error ? { kind: state.status.sync.online ? 'internal' : 'offline', message: state.status.sync.last_error } : null;
    state.project = null;
    await refreshStatus();
    await loadGrid();
  } catch (e) {
    f.error = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e);
    f.errorKind = isAppError(e) ? e.kind : 'internal';
  }
  f.busy = false;
  render();
}

async function changePassword() {
  const f = state.passwordChange;
  if (f.next !== f.again) { f.error = t('password.mismatch'); render(); return; }
  f.busy = true; f.error = null; render();
  try {
    state.status = await api.changePassword(f.old, f.next);
    state.passwordChange = { old: '', next: '', again: '', busy: false, error: null };
    await refreshStatus();
    await loadGrid();
  } catch (e) {
    f.error = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e);
  }
  f.busy = false;
  render();
}

async function saveDefect() {
  const u = state.unit, f = state.form;
  if (!u || !f) return;
  state.formBusy = true; state.formError = null; render();
  try {
    await api.saveDefect(u.project, u.unit, u.round, f);
    state.form = null;
    await reloadUnit();
  } catch (e) {
    state.formError = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e);
  }
  state.formBusy = false;
  render();
}

function formFromDefect(d: DefectView): DefectForm {
  return {
    id: d.id, room: d.room, item: d.item, spot: d.spot, description: d.description, category: d.category,
    other_reason: d.other_reason, severity: d.severity, trade: d.trade, responsible: d.responsible,
    root_cause: d.root_cause, root_cause_note: d.root_cause_note, pin: d.pin,
    photos: d.photos.map((p) => ({ ...p, marks: p.marks.map((m) => ({ ...m })) })),
  };
}

root.addEventListener('pointerdown', (ev) => {
  const surface = (ev.target as Element).closest('.markup-surface');
  if (!surface || !state.markup) return;
  state.markup.start = toNormalised(ev.clientX, ev.clientY, surface.getBoundingClientRect());
});

root.addEventListener('pointerup', (ev) => {
  const surface = (ev.target as Element).closest('.markup-surface');
  const m = state.markup;
  if (!surface || !m || !m.start) return;
  const end = toNormalised(ev.clientX, ev.clientY, surface.getBoundingClientRect());
  drawMark(m, m.start, end);
  m.start = null;
  m.byPointer = true;
});

function drawMark(m: Markup, start: P, end: P) {
  const shape = shapeFromGesture(m.tool, start, end, m.aspect, m.label);
  if (shape) { m.history.add(shape); redrawMarkup(); }
}

root.addEventListener('click', async (ev) => {
  const target = (ev.target as Element).closest<HTMLElement>('[data-action]');
  if (!target || target.tagName === 'FORM' || target.tagName === 'SELECT' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type !== 'button')) return;
  const a = target.dataset;
  const u = state.unit;
  try {
    switch (a.action) {
      case 'sync': await syncNow(); return;
      case 'lang': i18n.set(i18n.lang === 'zh-CN' ? 'en' : 'zh-CN'); break;
      case 'dismiss': state.banner = null; break;
      case 'open-unit':
        state.unit = await api.openUnit(state.project!, a.unit!, state.round);
        state.tab = state.round > 1 && state.unit.recheck.some((r) => r.done === null) ? 'recheck' : state.unit.rooms[0]?.id ?? '';
        break;
      case 'back': state.unit = null; await loadGrid(); break;
      case 'tab': state.tab = a.tab!; break;
      case 'result': {
        if (!u) return;
        const item = u.rooms.find((r) => r.id === a.room)?.items.find((i) => i.code === a.item);
        const outcome = item?.outcome === a.outcome ? null : a.outcome!;
        if (a.outcome === 'fail' && item?.outcome !== 'fail') {
          // Fail opens the defect form; the line is failed when the defect is saved.
          state.form = await api.draftDefect(u.project, u.unit, u.round, a.room!, a.item!);
          state.formError = null;
          break;
        }
        if (a.outcome === 'fail' && item?.defects.length) break; // a line with defects stays failed
        state.unit = await api.setResult(u.project, u.unit, u.round, a.room!, a.item!, outcome);
        break;
      }
      case 'fail':
        if (!u) return;
        state.form = await api.draftDefect(u.project, u.unit, u.round, a.room!, a.item!);
        state.formError = null;
        break;
      case 'edit-defect': {
        const d = u?.defects.find((x) => x.id === a.defect);
        if (d) { state.form = formFromDefect(d); state.formError = null; state.withdrawReason = ''; }
        break;
      }
      case 'cancel-form': state.form = null; state.markup = null; break;
      case 'pin': {
        if (!state.form) return;
        // Over a plan image, the image is the plan: pins are its coordinates.
        const img = target.querySelector<HTMLImageElement>('.plan-image img');
        if (img) {
          state.form.pin = toNormalised((ev as MouseEvent).clientX, (ev as MouseEvent).clientY, img.getBoundingClientRect());
          state.planCursor = { ...state.form.pin };
          break;
        }
        const svg = target.querySelector('svg');
        if (!svg) return;
        const box = svg.getBoundingClientRect();
        // The plan keeps its 10:7 shape inside the box (meet): find the drawn area.
        const scale = Math.min(box.width / 1000, box.height / 700);
        const w = 1000 * scale, h = 700 * scale;
        const left = box.left + (box.width - w) / 2, top = box.top + (box.height - h) / 2;
        state.form.pin = toNormalised((ev as MouseEvent).clientX, (ev as MouseEvent).clientY, { left, top, width: w, height: h });
        state.planCursor = { ...state.form.pin };
        break;
      }
      case 'unpin': if (state.form) state.form.pin = null; state.planCursor = null; break;
      case 'company-ca-clear': state.caError = null; state.status = await api.clearCompanyCa(); break;
      case 'open-markup': {
        if (!state.form) return;
        const i = Number(a.index);
        state.markup = { photo: i, history: new MarkupHistory(state.form.photos[i].marks), tool: 'circle', label: '', aspect: 0.75, start: null, byPointer: false };
        break;
      }
      case 'tool': if (state.markup) state.markup.tool = a.tool as Tool; break;
      case 'undo': if (state.markup) { state.markup.history.undo(); redrawMarkup(); } return;
      case 'markup-done':
        if (state.markup && state.form) state.form.photos[state.markup.photo].marks = state.markup.history.marks;
        state.markup = null;
        break;
      case 'open-recheck': state.recheck = { defect: a.defect!, note: '', photo: null, error: null, busy: false }; break;
      case 'close-recheck': state.recheck = null; break;
      case 'withdraw-defect': {
        const f = state.form;
        if (!u || !f?.id) return;
        state.formBusy = true; state.formError = null; render();
        try {
          state.unit = await api.withdrawDefect(u.project, u.unit, u.round, f.id, state.withdrawReason);
          state.form = null; state.withdrawReason = '';
        } finally { state.formBusy = false; }
        break;
      }
      case 'recheck-pass': case 'recheck-fail': {
        ev.preventDefault();
        const r = state.recheck;
        if (!u || !r) return;
        r.busy = true; r.error = null; render();
        try {
          state.unit = await api.recheck(u.project, u.unit, u.round, r.defect, a.action === 'recheck-pass', r.note, r.photo);
          state.recheck = null;
        } catch (e) {
          r.error = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e);
          r.busy = false;
        }
        break;
      }
      default: return;
    }
    state.status = await api.status();
  } catch (e) {
    if (state.form) state.formError = isAppError(e) ? `${t('error.' + e.kind)}: ${e.message}` : String(e);
    else { showError(e); return; }
  }
  render();
});

// Clicks on the markup surface without pointer events (some drivers) are taps.
root.addEventListener('click', (ev) => {
  const surface = (ev.target as Element).closest('.markup-surface');
  const m = state.markup;
  if (!surface || !m) return;
  if (m.byPointer) { m.byPointer = false; return; }
  const p = toNormalised(ev.clientX, ev.clientY, surface.getBoundingClientRect());
  drawMark(m, p, p);
});

/** Redraw only the status bar: a form being typed in keeps its focus. */
function renderStatusBar() {
  const top = document.getElementById('top');
  if (top) { setHtml(top, renderTop()); sizeProgress(); } else render();
}

listen<SyncProgress>('sync-progress', (p) => { state.progress = p; renderStatusBar(); });
listen<AppStatus>('status', async (s) => {
  state.status = s;
  // Background sync may have brought something in: refresh what is on
  // screen, unless a form is open (or nobody is signed in yet), where only
  // the status bar changes and the field being typed in keeps its focus.
  if (s.session && !state.form && !state.markup && !state.recheck) {
    if (state.unit) await reloadUnit(); else await loadGrid();
    render();
  } else {
    renderStatusBar();
  }
});

async function start() {
  await refreshStatus();
  await loadGrid();
  render();
  root.dataset.ready = '1';
}

start().catch(showError);
