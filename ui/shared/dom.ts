// A tiny DOM builder, so pages are plain functions without a framework.

type Attrs = Record<string, string | number | boolean | ((e: Event) => void) | undefined | null>;
type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
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
