// One i18n mechanism for every front end: each front end passes its own
// dictionary (English and zh-CN, same keys); `t` falls back to English and
// then to the key itself, so a missing translation shows, never breaks.

export type Lang = 'en' | 'zh-CN';
export type Dict = Record<string, string>;
export type Dicts = { en: Dict; 'zh-CN': Dict };

/** Merge dictionaries (later ones win). */
export function mergeDicts(...all: Dicts[]): Dicts {
  const out: Dicts = { en: {}, 'zh-CN': {} };
  for (const d of all) { Object.assign(out.en, d.en); Object.assign(out['zh-CN'], d['zh-CN']); }
  return out;
}

const STORAGE_KEY = 'walkthrough.lang';

/** The language to start with: the user's last choice, else the system locale. */
export function initialLang(systemLocales: readonly string[], stored: string | null): Lang {
  if (stored === 'en' || stored === 'zh-CN') return stored;
  for (const l of systemLocales) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export class I18n {
  lang: Lang;
  constructor(private dicts: Dicts, lang?: Lang) {
    const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
    const locales = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
    this.lang = lang ?? initialLang(locales, stored);
  }
  set(lang: Lang) {
    this.lang = lang;
    if (typeof localStorage !== 'undefined') localStorage.setItem(STORAGE_KEY, lang);
    if (typeof document !== 'undefined') document.documentElement.lang = lang;
  }
  /** Translate `key`, replacing `{name}` placeholders from `vars`. */
  t(key: string, vars: Record<string, string | number> = {}): string {
    const raw = this.dicts[this.lang][key] ?? this.dicts.en[key] ?? key;
    return raw.replace(/\{(\w+)\}/g, (_, k: string) => (k in vars ? String(vars[k]) : `{${k}}`));
  }
  /** Whether `key` has words (in this language or English). */
  has(key: string): boolean {
    return key in this.dicts[this.lang] || key in this.dicts.en;
  }
  /** Pick the right half of a bilingual value ({zh, en} as the model stores them). */
  pick(text: { zh?: string; en?: string } | null | undefined): string {
    if (!text) return '';
    return (this.lang === 'zh-CN' ? text.zh || text.en : text.en || text.zh) ?? '';
  }
}
