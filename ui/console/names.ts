// Names the server sends instead of ids (core `names::Shown`): people,
// contractors, units and rooms in both languages, and whether the project's
// lists know the id at all. An unknown id is shown as itself, marked, never
// passed off as a name. Also the name of a downloaded file as the server
// gives it (Content-Disposition).

import { h } from '../shared/dom.js';
import type { Dicts, I18n } from '../shared/i18n.js';
// Server JSON: types generated from the OpenAPI document.
import type { Shown } from '../shared/api-types.js';

export type { Shown };

export const NAMES_DICTS: Dicts = {
  en: { 'names.unknown': '{id} (unknown)', 'names.unknownTitle': 'Not in the project’s lists: shown as recorded' },
  'zh-CN': { 'names.unknown': '{id}（未登记）', 'names.unknownTitle': '项目名单中没有此编号，按记录原样显示' },
};

/** A name as text in the reader's language; an unknown id marked in words. */
export function nameText(i18n: I18n, s: Shown | null | undefined, fallback = '—'): string {
  if (!s) return fallback;
  const text = i18n.pick(s);
  return s.known ? text : i18n.t('names.unknown', { id: text });
}

/** A name as an element: an unknown id is marked (class, data-unknown, a title saying why). */
export function nameEl(i18n: I18n, s: Shown | null | undefined, fallback = '—'): HTMLElement | string {
  if (!s) return fallback;
  if (s.known) return i18n.pick(s);
  return h('span', { class: 'unknown-id', 'data-unknown': i18n.pick(s), title: i18n.t('names.unknownTitle') }, nameText(i18n, s));
}

/**
 * The file name in a Content-Disposition header: RFC 5987's
 * `filename*=UTF-8''…` when present (the exact name), else `filename="…"`.
 */
export function dispositionName(header: string | null, fallback: string): string {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch { /* a broken encoding: try the plain name */ }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1].trim() : fallback;
}

/** Fetch a file with the session's token and save it under the name the server gives it. */
export async function saveFile(url: string, headers: Record<string, string>, fallback: string) {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = dispositionName(res.headers.get('content-disposition'), fallback);
  document.body.append(a);
  a.click();
  a.remove();
}
