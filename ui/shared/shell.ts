// The shell every staff web front end shares: sign-in, a header with the
// project picker, navigation and the zh-CN/English switch, and a page area.
// A front end (the console, the dashboard) passes its pages; each page is a
// function that renders into the page area. Pages reach the server through
// `ctx.api` and translate through `ctx.i18n`.

import { Api, ApiError, Role } from './api.js';
import { h, mount, val } from './dom.js';
import { I18n, Dicts, Lang } from './i18n.js';
import { DEFAULT_ZONE } from './time.js';

// Server JSON: types generated from the OpenAPI document.
import type { ProjectSummary } from './api-types.js';
export type { ProjectSummary };

export interface Ctx {
  api: Api;
  i18n: I18n;
  /** The chosen project, if any. */
  project: string | null;
  projects: ProjectSummary[];
  /** The chosen project's IANA time zone: pages show its days and times in it, never the browser's. */
  readonly zone: string;
  setProject(id: string | null): Promise<void>;
  go(page: string): void;
  /** Render the current page again (after a change). */
  refresh(): Promise<void>;
  /** Show a short confirmation. */
  notify(message: string): void;
  /** The signed-in account reads only (an engineer): pages show no write controls. */
  readOnly: boolean;
}

export interface Page {
  id: string;
  /** i18n key of its navigation label. */
  label: string;
  /** The page needs a chosen project. */
  needsProject?: boolean;
  /** Who may open it (default: the CS center only). */
  roles?: Role[];
  render(ctx: Ctx, el: HTMLElement): Promise<void> | void;
}

export const SHELL_DICTS: Dicts = {
  en: {
    'shell.signin': 'Sign in', 'shell.username': 'Username', 'shell.password': 'Password', 'shell.signout': 'Sign out',
    'shell.project': 'Project', 'shell.noProject': '— choose a project —', 'shell.chooseProject': 'Choose or create a project first.',
    'shell.roleRefused': 'This page is for the CS center; your account cannot use it.', 'shell.loading': 'Loading…',
    'shell.lang': '中文',
    'shell.changePassword': 'Change password', 'shell.mustChange': 'You signed in with a temporary password. Choose your own password before you continue.',
    'shell.oldPassword': 'Current password', 'shell.newPassword': 'New password (at least 8 characters, not your username)',
    'shell.newPasswordAgain': 'New password again', 'shell.passwordSave': 'Change password', 'shell.cancel': 'Cancel',
    'shell.passwordMismatch': 'The two new passwords are not the same.', 'shell.passwordChanged': 'Your password has been changed.',
  },
  'zh-CN': {
    'shell.signin': '登录', 'shell.username': '用户名', 'shell.password': '密码', 'shell.signout': '退出登录',
    'shell.project': '项目', 'shell.noProject': '— 选择项目 —', 'shell.chooseProject': '请先选择或创建项目。',
    'shell.roleRefused': '此页面仅供客服中心使用，您的账号无权访问。', 'shell.loading': '加载中…',
    'shell.lang': 'English',
    'shell.changePassword': '修改密码', 'shell.mustChange': '您使用临时密码登录，请先设置您自己的密码再继续。',
    'shell.oldPassword': '当前密码', 'shell.newPassword': '新密码（至少 8 个字符，且不能与用户名相同）',
    'shell.newPasswordAgain': '再次输入新密码', 'shell.passwordSave': '修改密码', 'shell.cancel': '取消',
    'shell.passwordMismatch': '两次输入的新密码不一致。', 'shell.passwordChanged': '密码已修改。',
  },
};

export { mergeDicts } from './i18n.js';

const PROJECT_KEY = 'walkthrough.project';

export class Shell implements Ctx {
  api = new Api();
  project: string | null = localStorage.getItem(PROJECT_KEY);
  projects: ProjectSummary[] = [];
  private page: string;
  readOnly = false;
  get zone(): string {
    return this.projects.find(p => p.id === this.project)?.time_zone || DEFAULT_ZONE;
  }
  /** The page area; the skip link moves focus here (tabindex -1: focusable from code, not a Tab stop). */
  private main = h('main', { class: 'page', testid: 'page', id: 'main', tabindex: -1 });
  private toast = h('div', { class: 'toast', testid: 'toast', role: 'status' });
  /** Renders overlap (a click while a page loads): only the latest may show. */
  private generation = 0;
  /** The next render follows a move to another page: focus goes to the page area. */
  private navigated = false;
  /** The password form is open by choice (a temporary password opens it anyway). */
  private changingPassword = false;

  constructor(private root: HTMLElement, public i18n: I18n, private title: string, private pages: Page[],
    private roles: Role[] = ['cs_admin']) {
    this.page = location.hash.replace(/^#\/?/, '') || pages[0].id;
    window.addEventListener('hashchange', () => { this.page = location.hash.replace(/^#\/?/, '') || pages[0].id; this.navigated = true; void this.render(); });
    this.api.onPasswordChangeRequired = () => { void this.render(); };
  }

  async start() {
    document.documentElement.lang = this.i18n.lang;
    await this.api.restore();
    if (this.api.session && !this.api.session.mustChangePassword) await this.loadProjects().catch(() => this.api.forget());
    await this.render();
  }

  private async loadProjects() {
    this.projects = await this.api.get<ProjectSummary[]>('/projects');
    if (this.project && !this.projects.some(p => p.id === this.project)) this.project = null;
  }

  async setProject(id: string | null) {
    this.project = id;
    if (id) localStorage.setItem(PROJECT_KEY, id); else localStorage.removeItem(PROJECT_KEY);
    await this.loadProjects();
    await this.render();
  }

  go(page: string) { location.hash = `#/${page}`; }
  async refresh() { await this.render(); }

  notify(message: string) {
    this.toast.textContent = message;
    this.toast.classList.add('shown');
    setTimeout(() => this.toast.classList.remove('shown'), 4000);
  }

  async render() {
    const generation = ++this.generation;
    const t = (k: string) => this.i18n.t(k);
    const session = this.api.session;
    if (!session) return this.renderSignIn();
    if (session.mustChangePassword || this.changingPassword) return this.renderPasswordChange(session.mustChangePassword);
    const langButton = h('button', { testid: 'lang', lang: this.otherLang(), onclick: () => { this.i18n.set(this.otherLang()); void this.render(); } }, t('shell.lang'));
    const picker = h('select', { testid: 'project-picker', id: 'project-picker', onchange: (e: Event) => void this.setProject((e.target as HTMLSelectElement).value || null) },
      h('option', { value: '' }, t('shell.noProject')),
      this.projects.map(p => h('option', { value: p.id, selected: p.id === this.project }, `${this.i18n.pick(p.name)} (${p.id})`)));
    // Each account sees the pages its role may open; engineers read only.
    this.readOnly = session.user.role === 'engineer';
    const pages = this.pages.filter(p => (p.roles ?? ['cs_admin']).includes(session.user.role));
    const nav = h('nav', { class: 'row', 'aria-label': t('a11y.nav') }, pages.map(p =>
      h('a', { href: `#/${p.id}`, class: p.id === this.page ? 'current' : '', 'aria-current': p.id === this.page ? 'page' : null, testid: `nav-${p.id}` }, t(p.label))));
    // The first Tab stop: past the header and the navigation to the page. A link that does
    // not change the hash (the hash is the page's address here).
    const skip = h('a', { class: 'skip-link', href: '#main', testid: 'skip-link', onclick: (e: Event) => { e.preventDefault(); this.main.focus(); } }, t('a11y.skip'));
    document.title = t(this.title);
    // The render replaces the header: the control that had focus keeps it, or after a move to
    // another page the page area takes it (a keyboard user goes on from there).
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.testid : undefined;
    const navigated = this.navigated;
    this.navigated = false;
    mount(this.root, skip,
      h('header', { class: 'shell row' },
        h('strong', {}, t(this.title)), h('label', { class: 'inline' }, t('shell.project'), picker), h('span', { class: 'grow' }),
        h('span', { testid: 'whoami', class: 'muted' }, session.user.name), langButton,
        h('button', { testid: 'change-password', onclick: () => { this.changingPassword = true; void this.render(); } }, t('shell.changePassword')),
        h('button', { testid: 'signout', onclick: () => { void this.api.logout().then(() => this.render()); } }, t('shell.signout'))),
      nav, this.main, this.toast);
    const again = focused ? this.root.querySelector<HTMLElement>(`[data-testid="${CSS.escape(focused)}"]`) : null;
    if (navigated) this.main.focus({ preventScroll: true });
    else if (again && !this.main.contains(again)) again.focus({ preventScroll: true });
    if (!this.roles.includes(session.user.role)) return mount(this.main, h('p', { class: 'error', testid: 'error' }, t('shell.roleRefused')));
    const page = pages.find(p => p.id === this.page) ?? pages[0];
    if (!page) return mount(this.main, h('p', { class: 'error', testid: 'error' }, t('shell.roleRefused')));
    if (page.needsProject && !this.project) return mount(this.main, h('p', { class: 'notice' }, t('shell.chooseProject')));
    mount(this.main, h('p', { class: 'muted' }, t('shell.loading')));
    try {
      const el = h('div', { testid: `page-${page.id}` });
      await page.render(this, el);
      if (generation === this.generation) mount(this.main, el);
    } catch (e) {
      if (generation === this.generation) mount(this.main, h('p', { class: 'error', testid: 'error' }, e instanceof Error ? e.message : String(e)));
    }
  }

  private renderSignIn() {
    const t = (k: string) => this.i18n.t(k);
    const error = h('p', { class: 'error', testid: 'signin-error', hidden: true });
    const form = h('form', { class: 'panel signin', testid: 'signin', onsubmit: async (e: Event) => {
      e.preventDefault();
      try {
        const session = await this.api.login(val(form, 'username'), val(form, 'password'));
        if (!session.mustChangePassword) await this.loadProjects();
        await this.render();
      } catch (err) {
        error.hidden = false;
        error.textContent = err instanceof ApiError ? err.message : String(err);
      }
    } },
      h('h1', {}, t(this.title)),
      h('label', {}, t('shell.username'), h('input', { testid: 'username', autocomplete: 'username' })),
      h('label', {}, t('shell.password'), h('input', { testid: 'password', type: 'password', autocomplete: 'current-password' })),
      error,
      h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit', testid: 'signin-submit' }, t('shell.signin')),
        h('button', { type: 'button', testid: 'lang', lang: this.otherLang(), onclick: () => { this.i18n.set(this.otherLang()); this.renderSignIn(); } }, t('shell.lang'))));
    document.title = t(this.title);
    mount(this.root, h('main', {}, form));
  }

  /** The language the switch offers (its label is written in that language). */
  private otherLang(): Lang { return this.i18n.lang === 'en' ? 'zh-CN' : 'en'; }

  /** The password change: forced after a sign-in with a temporary password. */
  private renderPasswordChange(forced: boolean) {
    const t = (k: string) => this.i18n.t(k);
    const error = h('p', { class: 'error', testid: 'password-error', hidden: true });
    const form = h('form', { class: 'panel signin', testid: 'password-change', onsubmit: async (e: Event) => {
      e.preventDefault();
      error.hidden = true;
      if (val(form, 'password-new') !== val(form, 'password-again')) {
        error.hidden = false;
        error.textContent = t('shell.passwordMismatch');
        return;
      }
      try {
        await this.api.changePassword(val(form, 'password-old'), val(form, 'password-new'));
        this.changingPassword = false;
        await this.loadProjects();
        await this.render();
        this.notify(t('shell.passwordChanged'));
      } catch (err) {
        error.hidden = false;
        error.textContent = err instanceof ApiError ? err.message : String(err);
      }
    } },
      h('h1', {}, t('shell.changePassword')),
      forced ? h('p', { class: 'notice', testid: 'password-forced' }, t('shell.mustChange')) : null,
      h('label', {}, t('shell.oldPassword'), h('input', { testid: 'password-old', type: 'password', autocomplete: 'current-password' })),
      h('label', {}, t('shell.newPassword'), h('input', { testid: 'password-new', type: 'password', autocomplete: 'new-password' })),
      h('label', {}, t('shell.newPasswordAgain'), h('input', { testid: 'password-again', type: 'password', autocomplete: 'new-password' })),
      error,
      h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit', testid: 'password-submit' }, t('shell.passwordSave')),
        forced
          ? h('button', { type: 'button', testid: 'signout', onclick: () => { void this.api.logout().then(() => this.render()); } }, t('shell.signout'))
          : h('button', { type: 'button', testid: 'password-cancel', onclick: () => { this.changingPassword = false; void this.render(); } }, t('shell.cancel'))),
      this.toast);
    mount(this.root, h('main', {}, form));
  }
}
