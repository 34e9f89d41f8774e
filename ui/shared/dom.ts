// A tiny DOM builder, so pages are plain functions without a framework,
// and `html`, the one way markup is written as text: every value put into
// an `html` template is escaped, so a value from a document or a person
// (a defect's description, a contractor's name, an id) is always shown as
// text, never run. `raw` marks markup the code itself wrote (nothing from
// data); `setHtml` is the only place markup reaches the page. URLs pass
// through `safeUrl`; inline event handlers are never made (the pages run
// under a Content-Security-Policy without 'unsafe-inline').

/** Markup safe to put into the page: made only by `html` or `raw`. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string { return this.markup; }
}

/** What an `html` template accepts: text and numbers (escaped), markup, lists of them; nothing for null/undefined/false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text as markup that shows exactly that text (in element content and in quoted attributes). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

function piece(v: HtmlValue): string {
  if (v instanceof Html) return v.markup;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
}

/** A template of markup whose every interpolated value is escaped (markup from `html`/`raw` passes as is). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup written by the code itself (a constant, never data), used as is. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** Replace the content of `el` by `content` (the one place markup reaches the page). */
export function setHtml(el: Element, content: Html) {
  el.innerHTML = content.markup;
}

/**
 * A URL for href/src: relative URLs, http(s), blob: and mailto: pass; any
 * other scheme (javascript:, data:, vbscript:…) becomes "#".
 */
export function safeUrl(url: string): string {
  // Browsers ignore tabs and newlines and leading spaces/control characters in a scheme.
  const u = url.replace(/[\u0000-\u0020\u007f]+/g, '');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(u);
  if (!scheme) return url;
  return ['http', 'https', 'blob', 'mailto'].includes(scheme[1].toLowerCase()) ? url : '#';
}

const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset']);

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined | null>;
type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    // An inline handler from a string would run text as script: never.
    else if (/^on/i.test(k)) throw new Error(`h(): ${k} must be a function, not text`);
    else if (URL_ATTRS.has(k.toLowerCase())) el.setAttribute(k, safeUrl(String(v)));
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else if (k === 'checked' && 'checked' in el) (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replace the content of `el`. */
export function mount(el: HTMLElement, ...children: Child[]) {
  el.replaceChildren();
  append(el, children);
}

/** The value of a form control inside `root` by its data-testid. */
export function val(root: ParentNode, testid: string): string {
  const el = root.querySelector(`[data-testid="${testid}"]`) as HTMLInputElement | null;
  return el ? el.value.trim() : '';
}

/** Set the value of a form control inside `root` by its data-testid. */
export function setVal(root: ParentNode, testid: string, value: string) {
  const el = root.querySelector(`[data-testid="${testid}"]`) as HTMLInputElement | null;
  if (el) el.value = value;
}

/** The checkbox inside `root` by its data-testid. */
export function checkbox(root: ParentNode, testid: string): HTMLInputElement {
  return root.querySelector(`[data-testid="${testid}"]`) as HTMLInputElement;
}
