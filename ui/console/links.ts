// Contractor links (/projects/{p}/contractor-links): create one for a
// contractor with an expiry, shown once with a QR code and a copy button;
// the list with created / expires / last used / revoked; revoke; the
// refused attempts. And each contractor's WeCom / DingTalk group robot
// (/projects/{p}/contractor-channels; the signing secret is write-only).

import { ApiError } from '../shared/api.js';
import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal } from '../shared/time.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Project } from './model.js';
// Server JSON: types generated from the OpenAPI document.
import type { ChannelView, ContractorLink, LinkRefusal, NewLinkResponse } from '../shared/api-types.js';

export const LINK_DICTS: Dicts = {
  en: {
    'nav.links': 'Contractor links', 'links.help': 'A link opens a contractor\'s own page (their items, "fixed" reports) without an account. It is shown once: copy it or let them scan the QR code.',
    'links.new': 'New link', 'links.contractor': 'Contractor', 'links.days': 'Valid for (days)', 'links.create': 'Create link',
    'links.once': 'Shown only now — copy it or scan the code:', 'links.copy': 'Copy', 'links.copied': 'Link copied.',
    'links.created': 'Created', 'links.expires': 'Expires', 'links.lastUsed': 'Last used', 'links.state': 'State',
    'links.live': 'valid', 'links.expired': 'expired', 'links.revokedBy': 'revoked {when} by {who}', 'links.revoke': 'Revoke',
    'links.revokedOk': 'Link revoked: it no longer opens the page.', 'links.none': 'No link yet.', 'links.never': 'never',
    'links.refusals': 'Refused attempts', 'links.noRefusals': 'No refused attempt.', 'links.at': 'When', 'links.reason': 'Reason', 'links.link': 'Link',
    'robots.title': 'Group robots', 'robots.help': 'Notifications also go to the contractor\'s WeCom (企业微信) or DingTalk (钉钉) group robot. The signing secret is kept on the server and never shown again.',
    'robots.kind': 'Robot', 'robots.webhook': 'Webhook address', 'robots.secret': 'Signing secret (DingTalk, optional)', 'robots.signed': 'signed',
    'robots.save': 'Save robot', 'robots.remove': 'Remove', 'robots.none': 'no robot', 'robots.saved': 'Robot saved.', 'robots.removed': 'Robot removed.',
    'robots.keepSecret': 'leave empty to keep none',
  },
  'zh-CN': {
    'nav.links': '施工单位链接', 'links.help': '链接无需账号即可打开施工单位自己的页面（其整改项、报修完成）。链接只显示一次：复制或让对方扫码。',
    'links.new': '新建链接', 'links.contractor': '施工单位', 'links.days': '有效期（天）', 'links.create': '创建链接',
    'links.once': '仅此一次显示——请复制或扫码：', 'links.copy': '复制', 'links.copied': '已复制链接。',
    'links.created': '创建时间', 'links.expires': '到期时间', 'links.lastUsed': '最近使用', 'links.state': '状态',
    'links.live': '有效', 'links.expired': '已过期', 'links.revokedBy': '已于 {when} 由 {who} 撤销', 'links.revoke': '撤销',
    'links.revokedOk': '链接已撤销，无法再打开页面。', 'links.none': '尚无链接。', 'links.never': '从未',
    'links.refusals': '被拒绝的访问', 'links.noRefusals': '没有被拒绝的访问。', 'links.at': '时间', 'links.reason': '原因', 'links.link': '链接',
    'robots.title': '群机器人', 'robots.help': '通知也会发送到施工单位的企业微信或钉钉群机器人。加签密钥保存在服务器上，不再显示。',
    'robots.kind': '机器人', 'robots.webhook': 'Webhook 地址', 'robots.secret': '加签密钥（钉钉，可选）', 'robots.signed': '已加签',
    'robots.save': '保存机器人', 'robots.remove': '移除', 'robots.none': '未设置', 'robots.saved': '已保存机器人。', 'robots.removed': '已移除机器人。',
    'robots.keepSecret': '留空表示不加签',
  },
};

type Link = ContractorLink;
type Refusal = LinkRefusal;
type Channel = ChannelView;
type NewLink = NewLinkResponse;

const message = (e: unknown) => e instanceof ApiError || e instanceof Error ? e.message : String(e);
/** Epoch seconds as date and time in the project's zone, with its offset. */
const at = (s: number | null, zone: string, never = '—') => s === null ? never : formatLocal(s * 1000, zone);

// The new link, shown by the next render only (it cannot be read again).
let fresh: { url: string; qr: string; contractor: string } | null = null;

/** The QR code of `text` as an image address (an SVG drawn by the server; the text goes in the body). */
async function qrImage(ctx: Ctx, text: string): Promise<string> {
  const res = await fetch('/api/v1/qr', {
    method: 'POST', credentials: 'same-origin', body: JSON.stringify({ text }),
    headers: { ...ctx.api.authHeaders(), 'Content-Type': 'application/json' },
  });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return URL.createObjectURL(new Blob([await res.text()], { type: 'image/svg+xml' }));
}

async function copy(text: string, input: HTMLInputElement) {
  try { await navigator.clipboard.writeText(text); } catch {
    // No clipboard permission (plain http): select it for the person to copy.
    input.select();
    document.execCommand('copy');
  }
}

export const links: Page = {
  id: 'links', label: 'nav.links', needsProject: true,
  async render(ctx, el) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const pid = encodeURIComponent(ctx.project!);
    const [p, list, refusals, channels] = await Promise.all([
      ctx.api.get<Project>(`/projects/${pid}`), ctx.api.get<Link[]>(`/projects/${pid}/contractor-links`),
      ctx.api.get<Refusal[]>(`/projects/${pid}/link-refusals`), ctx.api.get<Channel[]>(`/projects/${pid}/contractor-channels`),
    ]);
    const name = (id: string) => { const c = p.contractors.find(x => x.id === id); return c ? ctx.i18n.pick(c.name) : id; };
    const err = h('p', { class: 'error', testid: 'links-error', hidden: true });
    const fail = (box: HTMLElement, x: unknown) => { box.hidden = false; box.textContent = message(x); };
    const who = h('select', { testid: 'link-contractor' }, p.contractors.map(c => h('option', { value: c.id }, `${ctx.i18n.pick(c.name)} (${c.id})`))) as HTMLSelectElement;
    const days = h('input', { testid: 'link-days', type: 'number', min: 1, max: 366, value: 14 }) as HTMLInputElement;
    const form: HTMLFormElement = h('form', { class: 'panel', testid: 'link-form', onsubmit: async (e: Event) => {
      e.preventDefault();
      err.hidden = true;
      try {
        const made = await ctx.api.post<NewLink>(`/projects/${pid}/contractor-links`, { contractor: who.value, days: Number(days.value) });
        const url = location.origin + made.path;
        fresh = { url, qr: await qrImage(ctx, url), contractor: who.value };
        await ctx.refresh();
      } catch (x) { fail(err, x); }
    } }, h('h3', {}, t('links.new')), h('div', { class: 'row' }, h('label', {}, t('links.contractor'), who), h('label', {}, t('links.days'), days),
      h('button', { class: 'primary', type: 'submit', testid: 'link-create' }, t('links.create'))), err);
    let shown: HTMLElement | null = null;
    if (fresh) {
      const urlIn = h('input', { testid: 'link-url', readonly: true, value: fresh.url, class: 'grow', 'aria-label': t('links.urlLabel') }) as HTMLInputElement;
      const url = fresh.url;
      shown = h('section', { class: 'panel notice', testid: 'link-new' }, h('p', {}, t('links.once')),
        h('div', { class: 'row' }, urlIn, h('button', { type: 'button', testid: 'link-copy', onclick: () => void copy(url, urlIn).then(() => ctx.notify(t('links.copied'))) }, t('links.copy'))),
        h('img', { testid: 'link-qr', src: fresh.qr, alt: t('links.qrAlt', { contractor: name(fresh.contractor) }), width: 240, height: 240 }));
      fresh = null;
    }
    const now = Date.now() / 1000;
    const state = (l: Link) => l.revoked_at !== null ? t('links.revokedBy', { when: at(l.revoked_at, ctx.zone), who: l.revoked_by ?? '' })
      : l.expires_at <= now ? t('links.expired') : t('links.live');
    const table = list.length === 0 ? h('p', { class: 'muted' }, t('links.none')) : h('div', { class: 'scroll' }, h('table', { class: 'small', testid: 'links' },
      h('tr', {}, [t('links.contractor'), t('links.created'), t('links.expires'), t('links.lastUsed'), t('links.state'), ''].map(c => h('th', {}, c))),
      list.map(l => h('tr', { testid: 'link-row', 'data-link': l.id, 'data-contractor': l.contractor, 'data-by': l.created_by },
        h('td', {}, name(l.contractor)), h('td', {}, `${at(l.created_at, ctx.zone)} · ${l.created_by}`), h('td', {}, at(l.expires_at, ctx.zone)),
        h('td', {}, at(l.last_used_at, ctx.zone, t('links.never'))), h('td', { 'data-key': 'state' }, state(l)),
        h('td', {}, l.revoked_at === null ? h('button', { testid: 'link-revoke', onclick: async () => {
          try {
            await ctx.api.call('DELETE', `/projects/${pid}/contractor-links/${encodeURIComponent(l.id)}`);
            ctx.notify(t('links.revokedOk'));
            await ctx.refresh();
          } catch (x) { fail(err, x); }
        } }, t('links.revoke')) : null)))));
    const refused = refusals.length === 0 ? h('p', { class: 'muted', testid: 'refusals-none' }, t('links.noRefusals')) : h('table', { class: 'small', testid: 'refusals' },
      h('tr', {}, [t('links.at'), t('links.link'), t('links.reason')].map(c => h('th', {}, c))),
      refusals.map(r => h('tr', { testid: 'refusal-row' }, h('td', {}, at(r.at, ctx.zone)), h('td', {}, r.link ?? '—'), h('td', {}, r.reason))));
    mount(el, h('h2', {}, t('nav.links')), h('p', { class: 'muted' }, t('links.help')), shown, form, table,
      h('h3', {}, t('links.refusals')), refused, robots(ctx, p, channels));
  },
};

/** The contractors' group robots (set ones listed, with Remove) and one form to set a contractor's. */
function robots(ctx: Ctx, p: Project, channels: Channel[]): HTMLElement {
  const t = (k: string) => ctx.i18n.t(k);
  const pid = encodeURIComponent(p.id);
  const name = (id: string) => { const c = p.contractors.find(x => x.id === id); return c ? ctx.i18n.pick(c.name) : id; };
  const path = (c: string) => `/projects/${pid}/contractor-channels/${encodeURIComponent(c)}`;
  const err = h('p', { class: 'error', testid: 'robot-error', hidden: true });
  const act = async (f: () => Promise<unknown>, done: string) => {
    err.hidden = true;
    try { await f(); ctx.notify(done); await ctx.refresh(); } catch (x) { err.hidden = false; err.textContent = message(x); }
  };
  const kindName = (k: string) => k === 'wecom' ? '企业微信 WeCom' : k === 'dingtalk' ? '钉钉 DingTalk' : k;
  const who = h('select', { testid: 'robot-contractor' }, p.contractors.map(c => h('option', { value: c.id }, `${ctx.i18n.pick(c.name)} (${c.id})`))) as HTMLSelectElement;
  const kind = h('select', { testid: 'robot-kind' }, ['wecom', 'dingtalk'].map(v => h('option', { value: v }, kindName(v)))) as HTMLSelectElement;
  const webhook = h('input', { testid: 'robot-webhook', placeholder: 'https://…' }) as HTMLInputElement;
  const secret = h('input', { testid: 'robot-secret', type: 'password', autocomplete: 'off', placeholder: t('robots.keepSecret') }) as HTMLInputElement;
  // Choosing a contractor with a robot shows its kind and address (never its secret).
  const fill = () => {
    const ch = channels.find(x => x.contractor === who.value);
    kind.value = ch?.kind ?? 'wecom';
    webhook.value = ch?.webhook ?? '';
    secret.value = '';
  };
  who.addEventListener('change', fill);
  fill();
  const form: HTMLFormElement = h('form', { class: 'grid', testid: 'robot-form', onsubmit: (e: Event) => {
    e.preventDefault();
    void act(() => ctx.api.call('PUT', path(who.value), { kind: kind.value, webhook: webhook.value, secret: secret.value || null }), t('robots.saved'));
  } },
  h('label', {}, t('links.contractor'), who), h('label', {}, t('robots.kind'), kind),
  h('label', {}, t('robots.webhook'), webhook), h('label', {}, t('robots.secret'), secret),
  h('div', {}, h('button', { type: 'submit', testid: 'robot-save' }, t('robots.save'))));
  return h('section', { class: 'panel', testid: 'robots' }, h('h3', {}, t('robots.title')), h('p', { class: 'muted' }, t('robots.help')),
    channels.length === 0 ? h('p', { class: 'muted', testid: 'robots-none' }, t('robots.none')) : h('div', { class: 'scroll' }, h('table', { class: 'small' },
      h('tr', {}, [t('links.contractor'), t('robots.kind'), t('robots.webhook'), t('links.created'), ''].map(c => h('th', {}, c))),
      channels.map(ch => h('tr', { testid: 'robot-row', 'data-contractor': ch.contractor },
        h('td', {}, name(ch.contractor)), h('td', {}, `${kindName(ch.kind)}${ch.signed ? ` · ${t('robots.signed')}` : ''}`),
        h('td', {}, (() => { try { return new URL(ch.webhook).host; } catch { return '—'; } })()),
        h('td', {}, `${at(ch.updated_at, ctx.zone)} · ${ch.updated_by}`),
        h('td', {}, h('button', { type: 'button', testid: 'robot-remove', onclick: () => void act(() => ctx.api.call('DELETE', path(ch.contractor)), t('robots.removed')) }, t('robots.remove'))))))),
    form, err);
}
