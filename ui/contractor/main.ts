// The contractor's page: opened from a link (the secret is in the URL's
// fragment, sent to the server only in a header), their items only, mark
// fixed with a note and a photo, undo, print the sheet.
import { Html, html, setHtml } from '../shared/dom.js';
import { I18n, mergeDicts } from '../shared/i18n.js';
import { marksLabel } from '../shared/marks.js';
import { A11Y_DICTS } from '../shared/strings.js';
import { DEFAULT_ZONE, formatLocal } from '../shared/time.js';
import { strings } from './strings.js';
import {
  applyFilters, choices, marksSvg, planSvg, type Filters, type Item, type Page,
} from './model.js';

const i18n = new I18n(mergeDicts(A11Y_DICTS, strings));
const t = i18n.t.bind(i18n);
const app = document.getElementById('app')!;
const token = new URLSearchParams(location.hash.slice(1)).get('k') ?? '';
const API = '/api/v1/contractor';
const filters: Filters = { building: '', status: 'all', round: 0 };
let page: Page | null = null;
let message = '';
/** Photos fetched (object URLs), by hash and size, and those on their way. */
const photoUrls = new Map<string, string>();
const photoLoads = new Map<string, Promise<string>>();
/** A phone opens a few connections at a time: more would only queue there. */
const PARALLEL_PHOTOS = 6;

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
  closeViewer();
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
  const photos = i.photos.map((p, n) => html`<button type="button" class="photo" data-act="view" data-photo="${n}"
      title="${t('viewPhoto')}"><img data-hash="${p.hash}" data-size="small" loading="lazy" decoding="async"
      alt="${t('a11y.photo', { n: n + 1, total: i.photos.length, room: i18n.pick(i.room), what: i.description })}">${marksSvg(p.marks, marksLabel(p.marks, t))}</button>`);
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
    <div class="row">${i.plan.length || i.plan_image ? planSvg(i, (x) => i18n.pick(x), {
      image: t('a11y.plan', { unit: `${i18n.pick(i.building.name)} ${i.unit_number}` }), overlay: t('a11y.planOverlay', { room: i18n.pick(i.room) }),
    }) : ''}</div>
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
        <button data-testid="lang" data-act="lang" lang="${i18n.lang === 'zh-CN' ? 'en' : 'zh-CN'}">${t('language')}</button></div>
      <p class="muted" data-testid="project">${i18n.pick(page.project.name)} · ${t('title')}</p>
      <button data-testid="sheet" data-act="sheet">${t('sheet')}</button>
    </header>
    ${summaryHtml(page)}
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

/** The overdue summary at the top: what needs doing first. */
function summaryHtml(p: Page): Html {
  const { overdue, due_soon: soon, days } = p.due;
  return html`<section class="panel summary${overdue ? ' late' : ''}" data-testid="due-summary">
    <p><strong data-testid="overdue-count">${overdue}</strong> ${t('summaryOverdue', { n: overdue })}</p>
    <p><strong data-testid="due-soon-count">${soon}</strong> ${t('summaryDueSoon', { n: soon, days })}</p>
  </section>`;
}

// Photos are fetched as they come near the screen (the link's secret goes
// in a header, so the browser cannot fetch an img's src by itself), several
// at a time, each once: the list shows the small copy, a tap the preview,
// the floor plan its original.
const waiting: HTMLImageElement[] = [];
let fetching = 0;
const nearScreen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) continue;
    nearScreen.unobserve(e.target);
    waiting.push(e.target as HTMLImageElement);
  }
  pump();
}, { rootMargin: '300px 0px' });

/** Which copy an image shows: its data-size, else the original (a floor plan keeps its detail). */
function photoKey(img: HTMLImageElement): string {
  return `${img.dataset.hash}?${img.dataset.size ?? 'original'}`;
}

function loadPhotos(root: ParentNode = app) {
  // A new rendering: the images of the old one are gone.
  nearScreen.disconnect();
  waiting.length = 0;
  for (const img of root.querySelectorAll<HTMLImageElement>('img[data-hash]')) {
    const url = photoUrls.get(photoKey(img));
    if (url) show(img, url);
    else nearScreen.observe(img);
  }
}

function show(img: HTMLImageElement, url: string) {
  img.src = url;
  img.dataset.loaded = 'true';
}

function photoUrl(key: string): Promise<string> {
  let load = photoLoads.get(key);
  if (!load) {
    const [hash, size] = key.split('?');
    load = call(`/photos/${encodeURIComponent(hash)}?size=${size}`)
      .then((r) => r.blob())
      .then((b) => { const url = URL.createObjectURL(b); photoUrls.set(key, url); return url; });
    load.catch(() => photoLoads.delete(key));
    photoLoads.set(key, load);
  }
  return load;
}

function pump() {
  while (fetching < PARALLEL_PHOTOS && waiting.length) {
    const img = waiting.shift()!;
    if (!img.isConnected) continue;
    fetching++;
    photoUrl(photoKey(img))
      .then((url) => show(img, url))
      .catch((e) => {
        if (e instanceof Refused) return showRefused();
        img.dataset.failed = 'true';
      })
      .finally(() => { fetching--; pump(); });
  }
}

/** The full photo with its marks over the page; the original on request. */
function openViewer(item: Item, n: number) {
  const p = item.photos[n];
  if (!p) return;
  closeViewer();
  const viewer = document.createElement('div');
  viewer.className = 'viewer';
  viewer.dataset.testid = 'viewer';
  viewer.setAttribute('role', 'dialog');
  viewer.setAttribute('aria-modal', 'true');
  viewer.setAttribute('aria-label', t('viewPhoto'));
  setHtml(viewer, html`<div class="viewer-photo"><img data-testid="viewer-img" data-hash="${p.hash}" data-size="preview"
      alt="${t('photoAlt', { spot: item.spot })}">${marksSvg(p.marks, marksLabel(p.marks, t))}</div>
    <div class="row">
      <button type="button" data-testid="viewer-original" data-act="original">${t('original')}</button>
      <button type="button" class="primary" data-testid="viewer-close" data-act="close-viewer">${t('close')}</button>
    </div>`);
  document.body.append(viewer);
  const img = viewer.querySelector<HTMLImageElement>('img')!;
  photoUrl(photoKey(img)).then((url) => show(img, url)).catch((e) => {
    if (e instanceof Refused) return showRefused();
    img.dataset.failed = 'true';
  });
  viewer.querySelector<HTMLButtonElement>('[data-act="close-viewer"]')!.focus();
}

function closeViewer() {
  document.querySelector('.viewer')?.remove();
}

async function showOriginal(viewer: HTMLElement) {
  const img = viewer.querySelector<HTMLImageElement>('img')!;
  img.dataset.size = 'original';
  delete img.dataset.loaded;
  try {
    show(img, await photoUrl(photoKey(img)));
  } catch (e) {
    if (e instanceof Refused) return showRefused();
    img.dataset.failed = 'true';
  }
}

document.addEventListener('click', (ev) => {
  const target = (ev.target as HTMLElement).closest<HTMLElement>('.viewer [data-act]');
  if (!target) return;
  if (target.dataset.act === 'close-viewer') closeViewer();
  else if (target.dataset.act === 'original') showOriginal(target.closest<HTMLElement>('.viewer')!);
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') closeViewer();
});

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
    case 'view': {
      const item = page?.items.find((i) => i.defect === article?.dataset.defect);
      if (item) openViewer(item, Number(target.dataset.photo));
      return;
    }
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
