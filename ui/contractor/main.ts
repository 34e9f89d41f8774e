// The contractor's page: opened from a link (the secret is in the URL's
// fragment, sent to the server only in a header), their items only, mark
// fixed with a note and a photo, undo, print the sheet.
import { Html, html, setHtml } from '../shared/dom.js';
import { I18n } from '../shared/i18n.js';
import { DEFAULT_ZONE, formatLocal } from '../shared/time.js';
import { strings } from './strings.js';
import { applyFilters, choices, marksSvg, planSvg, type Filters, type Item, type Page } from './model.js';

const i18n = new I18n(strings);
const t = i18n.t.bind(i18n);
const app = document.getElementById('app')!;
const token = new URLSearchParams(location.hash.slice(1)).get('k') ?? '';
const API = '/api/v1/contractor';
const filters: Filters = { building: '', status: 'all', round: 0 };
let page: Page | null = null;
let message = '';
const photoUrls = new Map<string, string>();

class Refused extends Error {}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('X-Walkthrough-Link', token);
  let res: Response;
  try {
    res = await fetch(API + path, { ...init, headers });
  } catch {
    throw new Error(t('network'));
  }
  if (res.status === 401) throw new Refused();
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: res.statusText }));
    throw new Error(body.error ?? res.statusText);
  }
  return res;
}

/** A deadline or time in the project's zone (not the phone's), with its offset. */
function when(ms: number): string {
  return formatLocal(ms, page?.time_zone ?? DEFAULT_ZONE);
}

function showRefused() {
  // Nothing of the list is kept or shown.
  page = null;
  setHtml(app, html`<section class="panel refused" data-testid="refused"><h1>${t('refusedTitle')}</h1>
    <p>${t('refused')}</p></section>`);
}

async function load() {
  try {
    page = await (await call('/items')).json();
    render();
  } catch (e) {
    if (e instanceof Refused) return showRefused();
    setHtml(app, html`<p class="error" data-testid="error">${(e as Error).message}</p>`);
  }
}

function option(value: string | number, label: string, selected: boolean): Html {
  return html`<option value="${value}"${selected ? ' selected' : ''}>${label}</option>`;
}

function itemHtml(i: Item): Html {
  const badges = [
    html`<span class="badge ${i.status}" data-testid="status">${t('status.' + i.status)}</span>`,
    i.overdue ? html`<span class="badge overdue" data-testid="overdue">${t('overdue')}</span>` : '',
    i.attempt > 1 ? html`<span class="badge again" data-testid="attempt">${t('again', { n: i.attempt })}</span>` : '',
  ].map((b) => html`${b} `);
  const photos = i.photos
    .map((p) => html`<div class="photo"><img data-hash="${p.hash}" alt="">${marksSvg(p.marks)}</div>`);
  const canFix = i.status === 'assigned' || i.status === 'failed_recheck';
  const fix = i.fix ? html`<p data-testid="fix-note">${t('yourReport', { note: i.fix.note })}</p>` : '';
  const undo = i.undo_until && i.undo_until > Date.now()
    ? html`<button data-testid="undo" data-act="undo">${t('undo', { time: when(i.undo_until) })}</button>` : '';
  return html`<article class="panel item${i.overdue ? ' overdue' : ''}" data-testid="item" data-defect="${i.defect}"
      data-status="${i.status}" data-deadline="${i.deadline ?? ''}">
    <h2>${t('unit', { building: i18n.pick(i.building.name), number: i.unit_number, floor: i.floor })}</h2>
    <div>${badges}</div>
    <p><strong>${i18n.pick(i.room)}</strong> · ${i.spot} · ${i18n.pick(i.category)}</p>
    <p data-testid="description">${i.description}</p>
    <p class="muted" data-testid="deadline">${i.deadline ? t('deadline', { date: when(i.deadline) }) : t('noDeadline')}</p>
    <div class="row">${i.plan.length || i.plan_image ? planSvg(i, (x) => i18n.pick(x)) : ''}</div>
    <div class="photos">${photos}</div>
    ${fix}
    <div class="actions row">
      ${canFix ? html`<button class="primary" data-testid="mark-fixed" data-act="open">${t('markFixed')}</button>` : ''}
      ${undo}
    </div>
    <form class="fix-form" data-testid="fix-form" hidden>
      <label>${t('note')}<textarea data-testid="fix-note-input" name="note" rows="3" maxlength="500"
        placeholder="${t('notePlaceholder')}"></textarea></label>
      <label>${t('photo')}<input data-testid="fix-photo" name="photo" type="file" accept="image/jpeg,image/png" capture="environment"></label>
      <p class="error" data-testid="fix-error" hidden></p>
      <div class="row"><button class="primary" type="submit" data-testid="fix-submit">${t('submit')}</button>
        <button type="button" data-act="close">${t('cancel')}</button></div>
    </form>
  </article>`;
}

function render() {
  if (!page) return;
  document.documentElement.lang = i18n.lang;
  document.title = `${t('title')} · ${i18n.pick(page.contractor.name)}`;
  const { buildings, rounds } = choices(page.items);
  const shown = applyFilters(page.items, filters);
  setHtml(app, html`<header>
      <div class="row"><h1 class="grow" data-testid="contractor">${i18n.pick(page.contractor.name)}</h1>
        <button data-testid="lang" data-act="lang">${t('language')}</button></div>
      <p class="muted" data-testid="project">${i18n.pick(page.project.name)} · ${t('title')}</p>
      <button data-testid="sheet" data-act="sheet">${t('sheet')}</button>
    </header>
    ${message ? html`<p class="notice" data-testid="message">${message}</p>` : ''}
    <div class="filters">
      <div><label for="f-b">${t('building')}</label><select id="f-b" data-testid="filter-building">
        ${option('', t('all'), filters.building === '')}
        ${buildings.map((b) => option(b.id, i18n.pick(b.name), filters.building === b.id))}</select></div>
      <div><label for="f-s">${t('status')}</label><select id="f-s" data-testid="filter-status">
        ${option('all', t('all'), filters.status === 'all')}${option('todo', t('todo'), filters.status === 'todo')}
        ${option('reported_fixed', t('reportedFixed'), filters.status === 'reported_fixed')}
        ${option('closed', t('closed'), filters.status === 'closed')}</select></div>
      <div><label for="f-r">${t('round')}</label><select id="f-r" data-testid="filter-round">
        ${option(0, t('all'), filters.round === 0)}
        ${rounds.map((r) => option(r, t('roundN', { n: r }), filters.round === r))}</select></div>
    </div>
    <p class="muted" data-testid="count">${t('count', { shown: shown.length, total: page.items.length })}</p>
    ${shown.length ? shown.map(itemHtml) : html`<p class="panel" data-testid="empty">${t('none')}</p>`}`);
  loadPhotos();
}

async function loadPhotos() {
  for (const img of app.querySelectorAll<HTMLImageElement>('img[data-hash]')) {
    const hash = img.dataset.hash!;
    let url = photoUrls.get(hash);
    if (!url) {
      try {
        url = URL.createObjectURL(await (await call(`/photos/${encodeURIComponent(hash)}`)).blob());
        photoUrls.set(hash, url);
      } catch (e) {
        if (e instanceof Refused) return showRefused();
        continue;
      }
    }
    img.src = url;
    img.dataset.loaded = 'true';
  }
}

async function submitFix(form: HTMLFormElement, defect: string) {
  const error = form.querySelector<HTMLElement>('[data-testid="fix-error"]')!;
  const note = (form.elements.namedItem('note') as HTMLTextAreaElement).value.trim();
  const file = (form.elements.namedItem('photo') as HTMLInputElement).files?.[0];
  const fail = (m: string) => { error.textContent = m; error.hidden = false; };
  if (!note) return fail(t('needNote'));
  if (!file) return fail(t('needPhoto'));
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  button.disabled = true;
  button.textContent = t('sending');
  try {
    const { hash } = await (await call('/photos', { method: 'POST', body: file })).json();
    await call(`/items/${encodeURIComponent(defect)}/fixed`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note, photo: hash }),
    });
    message = t('sent');
    await load();
  } catch (e) {
    if (e instanceof Refused) return showRefused();
    button.disabled = false;
    button.textContent = t('submit');
    fail((e as Error).message);
  }
}

async function openSheet() {
  try {
    const blob = await (await call(`/sheet.pdf${filters.round ? `?round=${filters.round}` : ''}`)).blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = 'rectification.pdf';
    a.dataset.testid = 'sheet-download';
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    if (e instanceof Refused) return showRefused();
    message = (e as Error).message;
    render();
  }
}

app.addEventListener('click', async (ev) => {
  const target = (ev.target as HTMLElement).closest<HTMLElement>('[data-act]');
  if (!target) return;
  const article = target.closest<HTMLElement>('[data-defect]');
  const form = article?.querySelector<HTMLFormElement>('form');
  switch (target.dataset.act) {
    case 'lang':
      i18n.set(i18n.lang === 'zh-CN' ? 'en' : 'zh-CN');
      return render();
    case 'sheet':
      return openSheet();
    case 'open':
      if (form) form.hidden = false;
      return;
    case 'close':
      if (form) form.hidden = true;
      return;
    case 'undo':
      try {
        await call(`/items/${encodeURIComponent(article!.dataset.defect!)}/undo`, { method: 'POST' });
        message = t('undone');
        await load();
      } catch (e) {
        if (e instanceof Refused) return showRefused();
        message = (e as Error).message;
        render();
      }
  }
});

app.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  submitFix(form, form.closest<HTMLElement>('[data-defect]')!.dataset.defect!);
});

app.addEventListener('change', (ev) => {
  const el = ev.target as HTMLSelectElement;
  const id = el.dataset.testid;
  if (id === 'filter-building') filters.building = el.value;
  else if (id === 'filter-status') filters.status = el.value as Filters['status'];
  else if (id === 'filter-round') filters.round = Number(el.value);
  else return;
  render();
});

setHtml(app, html`<p class="muted">${t('loading')}</p>`);
if (!token) showRefused();
else load();
