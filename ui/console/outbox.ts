// The notification outbox (GET /projects/{p}/outbox): every message to the
// contractors, newest first, with its state — pending, sending, sent,
// failing (with the last error in words) or dead — and "Retry now" for a
// failing or dead one (POST …/outbox/{key}/retry).

import { ApiError } from '../shared/api.js';
import { h, mount } from '../shared/dom.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal } from '../shared/time.js';
import type { Page } from '../shared/shell.js';
import type { Project } from './model.js';
// Server JSON: types generated from the OpenAPI document.
import type { OutboxMessage } from '../shared/api-types.js';

export const OUTBOX_DICTS: Dicts = {
  en: {
    'nav.outbox': 'Notifications', 'outbox.help': 'Messages to contractors (email, webhook, group robots). A failing message is tried again by itself; "Retry now" does not wait.',
    'outbox.none': 'No notification yet.', 'outbox.created': 'Queued', 'outbox.contractor': 'Contractor', 'outbox.channel': 'Channel',
    'outbox.subject': 'Subject', 'outbox.status': 'State', 'outbox.attempts': 'Attempts', 'outbox.error': 'Last error', 'outbox.next': 'Next attempt',
    'outbox.sentAt': 'Sent', 'outbox.retry': 'Retry now', 'outbox.retried': 'The message will be sent again now.', 'outbox.all': 'All states',
    'outbox.s.pending': 'pending', 'outbox.s.sending': 'sending', 'outbox.s.sent': 'sent', 'outbox.s.failing': 'failing', 'outbox.s.dead': 'given up',
  },
  'zh-CN': {
    'nav.outbox': '通知', 'outbox.help': '发给施工单位的消息（邮件、Webhook、群机器人）。发送失败的消息会自动重试；“立即重试”无需等待。',
    'outbox.none': '尚无通知。', 'outbox.created': '加入队列', 'outbox.contractor': '施工单位', 'outbox.channel': '渠道',
    'outbox.subject': '标题', 'outbox.status': '状态', 'outbox.attempts': '尝试次数', 'outbox.error': '最近错误', 'outbox.next': '下次尝试',
    'outbox.sentAt': '发送时间', 'outbox.retry': '立即重试', 'outbox.retried': '该消息将立即重新发送。', 'outbox.all': '全部状态',
    'outbox.s.pending': '待发送', 'outbox.s.sending': '发送中', 'outbox.s.sent': '已发送', 'outbox.s.failing': '发送失败', 'outbox.s.dead': '已放弃',
  },
};

type Message = OutboxMessage;

const STATES = ['pending', 'sending', 'sent', 'failing', 'dead'];
let only = '';

export const outbox: Page = {
  id: 'outbox', label: 'nav.outbox', needsProject: true,
  async render(ctx, el) {
    const t = (k: string) => ctx.i18n.t(k);
    const pid = encodeURIComponent(ctx.project!);
    const [p, all] = await Promise.all([ctx.api.get<Project>(`/projects/${pid}`), ctx.api.get<Message[]>(`/projects/${pid}/outbox`)]);
    const name = (id: string) => { const c = p.contractors.find(x => x.id === id); return c ? ctx.i18n.pick(c.name) : id; };
    const at = (s: number | null) => s === null ? '—' : formatLocal(s * 1000, ctx.zone);
    const err = h('p', { class: 'error', testid: 'outbox-error', hidden: true });
    const rows = all.filter(m => !only || m.status === only);
    const filter = h('select', { testid: 'outbox-filter', 'aria-label': t('outbox.filterLabel'), onchange: (e: Event) => { only = (e.target as HTMLSelectElement).value; void ctx.refresh(); } },
      h('option', { value: '' }, t('outbox.all')), STATES.map(s => h('option', { value: s, selected: s === only }, t(`outbox.s.${s}`))));
    mount(el, h('h2', {}, t('nav.outbox')), h('p', { class: 'muted' }, t('outbox.help')), h('div', { class: 'row' }, filter), err,
      rows.length === 0 ? h('p', { class: 'notice', testid: 'outbox-none' }, t('outbox.none')) : h('div', { class: 'scroll' }, h('table', { class: 'small', testid: 'outbox' },
        h('tr', {}, ['created', 'contractor', 'channel', 'subject', 'status', 'attempts', 'error', 'next', 'sentAt', ''].map(k => h('th', {}, k ? t(`outbox.${k}`) : ''))),
        rows.map(m => h('tr', { testid: 'outbox-row', 'data-key': m.key, 'data-status': m.status },
          h('td', {}, at(m.created_at)), h('td', {}, name(m.contractor)), h('td', {}, m.channel), h('td', {}, m.subject),
          h('td', { 'data-key': 'status', class: m.status === 'failing' || m.status === 'dead' ? 'error' : '' }, t(`outbox.s.${m.status}`)),
          h('td', {}, String(m.attempts)), h('td', { 'data-key': 'error' }, m.last_error ?? ''),
          h('td', {}, m.status === 'sent' ? '—' : at(m.next_attempt_at)), h('td', {}, at(m.sent_at)),
          h('td', {}, m.status === 'failing' || m.status === 'dead' ? h('button', { testid: 'outbox-retry', onclick: async () => {
            err.hidden = true;
            try {
              await ctx.api.post(`/projects/${pid}/outbox/${encodeURIComponent(m.key)}/retry`);
              ctx.notify(t('outbox.retried'));
              await ctx.refresh();
            } catch (x) { err.hidden = false; err.textContent = x instanceof ApiError || x instanceof Error ? x.message : String(x); }
          } }, t('outbox.retry')) : null))))));
  },
};
