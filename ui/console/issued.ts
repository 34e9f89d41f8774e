// Issued reports: the CS center issues a round's report (a background job
// whose progress is shown), finds every version issued before, downloads
// each exactly as issued, and shares one by a link it can revoke.

import { h, mount } from '../shared/dom.js';
import type { Ctx, Page } from '../shared/shell.js';
import type { Dicts } from '../shared/i18n.js';
import { formatLocal, localDate } from '../shared/time.js';
import { roundChoices } from './report.js';
import { nameEl, saveFile } from './names.js';
// Server JSON: types generated from the OpenAPI document.
import type { IssuedView, JobView, NewShare, ShareView } from '../shared/api-types.js';

export const ISSUED_DICTS: Dicts = {
  en: {
    'nav.issued': 'Issued reports', 'iss.issue': 'Issue a report', 'iss.round': 'Report',
    'iss.photos': 'with photos and their marks', 'iss.go': 'Issue', 'iss.running': 'Issuing…',
    'iss.stage.queued': 'waiting for the report before it', 'iss.stage.reading': 'reading the figures',
    'iss.stage.computing': 'computing the figures', 'iss.stage.workbook': 'writing the workbook',
    'iss.stage.appendix': 'laying out the appendices', 'iss.stage.photos': 'laying out the appendices with photos',
    'iss.stage.writing': 'writing the PDF', 'iss.stage.storing': 'storing', 'iss.stage.done': 'done',
    'iss.done': 'Issued {what} version {v}.', 'iss.failed': 'The report could not be issued: {why}',
    'iss.list': 'Issued', 'iss.none': 'No report has been issued for this project yet.',
    'iss.col.report': 'Report', 'iss.col.version': 'Version', 'iss.col.issued': 'Issued', 'iss.col.by': 'By',
    'iss.col.asOf': 'Figures as of', 'iss.col.files': 'Files', 'iss.col.links': 'Share links',
    'iss.share': 'New link', 'iss.revoke': 'Revoke', 'iss.revoked': 'revoked {at}', 'iss.active': 'active',
    'iss.lastUsed': 'last opened {at}', 'iss.newLink': 'Link to this report (shown once — copy it now):',
    'iss.roundN': 'Round {n}', 'iss.cumulative': 'Cumulative to round {n}', 'iss.withPhotos': 'with photos',
    'iss.days': 'valid for (days)', 'iss.expires': 'expires {at}', 'iss.expired': 'expired {at}',
  },
  'zh-CN': {
    'nav.issued': '已发布报告', 'iss.issue': '发布报告', 'iss.round': '报告',
    'iss.photos': '含照片及标注', 'iss.go': '发布', 'iss.running': '正在发布…',
    'iss.stage.queued': '等待前一份报告完成', 'iss.stage.reading': '读取数据',
    'iss.stage.computing': '计算指标', 'iss.stage.workbook': '生成 Excel',
    'iss.stage.appendix': '排版附录', 'iss.stage.photos': '排版附录及照片',
    'iss.stage.writing': '生成 PDF', 'iss.stage.storing': '保存', 'iss.stage.done': '完成',
    'iss.done': '已发布{what}第 {v} 版。', 'iss.failed': '报告发布失败：{why}',
    'iss.list': '已发布', 'iss.none': '本项目尚未发布报告。',
    'iss.col.report': '报告', 'iss.col.version': '版本', 'iss.col.issued': '发布时间', 'iss.col.by': '发布人',
    'iss.col.asOf': '统计截止', 'iss.col.files': '文件', 'iss.col.links': '分享链接',
    'iss.share': '新建链接', 'iss.revoke': '撤销', 'iss.revoked': '已于 {at} 撤销', 'iss.active': '有效',
    'iss.lastUsed': '最近打开 {at}', 'iss.newLink': '本报告的链接（仅显示一次，请立即复制）：',
    'iss.roundN': '第 {n} 轮', 'iss.cumulative': '累计至第 {n} 轮', 'iss.withPhotos': '含照片',
    'iss.days': '有效期（天）', 'iss.expires': '{at} 到期', 'iss.expired': '已于 {at} 过期',
  },
};

export type Share = ShareView;
export type Issued = IssuedView;
export type Job = JobView;

/** A moment as date and time to the minute in the project's zone, with its offset. */
export function when(millis: number, zone: string): string {
  return formatLocal(millis, zone);
}

/** A size in bytes for people. */
export function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export const issued: Page = {
  id: 'issued', label: 'nav.issued', needsProject: true, roles: ['cs_admin', 'engineer'],
  async render(ctx: Ctx, el: HTMLElement) {
    const t = (k: string, v?: Record<string, string | number>) => ctx.i18n.t(k, v);
    const project = encodeURIComponent(ctx.project!);
    const summary = ctx.projects.find(p => p.id === ctx.project);
    const choices = roundChoices(summary?.rounds ?? 0);
    const list = await ctx.api.get<Issued[]>(`/projects/${project}/issued`);
    const title = (r: Issued) => (r.scope === 'cumulative' ? t('iss.cumulative', { n: r.round }) : t('iss.roundN', { n: r.round }));
    const auth = ctx.api.authHeaders();

    const round = h('select', { testid: 'issue-round' }, choices.map((c, i) => h('option', { value: c, selected: i === Math.max(0, choices.length - 2) },
      c === 'cumulative' ? t('iss.cumulative', { n: choices.length - 1 }) : t('iss.roundN', { n: c }))));
    const photos = h('input', { type: 'checkbox', testid: 'issue-photos', checked: true });
    const bar = h('progress', { testid: 'issue-progress', max: 1, value: 0, hidden: true });
    const status = h('span', { testid: 'issue-status' });
    const go = h('button', { testid: 'issue-go', class: 'primary' }, t('iss.go'));
    go.addEventListener('click', async () => {
      go.setAttribute('disabled', '');
      bar.hidden = false;
      status.textContent = t('iss.running');
      try {
        let job = await ctx.api.post<Job>(`/projects/${project}/reports/${encodeURIComponent(round.value)}/issue`, { photos: photos.checked });
        while (job.state === 'queued' || job.state === 'running') {
          bar.max = Math.max(1, job.total);
          bar.value = job.done;
          status.textContent = `${t('iss.running')} ${t(`iss.stage.${job.stage}`)}${job.total > 1 ? ` ${job.done} / ${job.total}` : ''}`;
          status.dataset.stage = job.stage;
          await sleep(300);
          job = await ctx.api.get<Job>(`/jobs/${encodeURIComponent(job.id)}`);
        }
        if (job.state === 'failed' || !job.result) {
          status.textContent = t('iss.failed', { why: job.error ?? '' });
          status.className = 'error';
          go.removeAttribute('disabled');
          return;
        }
        // A finished issue job's result is the issued report.
        const issued = job.result as IssuedView;
        ctx.notify(t('iss.done', { what: title(issued), v: issued.version }));
        await ctx.refresh();
      } catch (e) {
        status.textContent = t('iss.failed', { why: (e as Error).message });
        status.className = 'error';
        go.removeAttribute('disabled');
      }
    });

    const newLink = h('div', { testid: 'new-link-area' });
    const now = Date.now();
    const expired = (s: Share) => s.expires_at !== null && s.expires_at <= now;
    const shareRow = (r: Issued, s: Share) => h('li', { testid: 'share', 'data-share': s.id,
      'data-state': s.revoked_at ? 'revoked' : expired(s) ? 'expired' : 'active', 'data-expires': s.expires_at ?? '' },
      `${when(s.created_at, ctx.zone)} · `,
      s.revoked_at ? t('iss.revoked', { at: when(s.revoked_at, ctx.zone) }) : expired(s) ? t('iss.expired', { at: when(s.expires_at!, ctx.zone) }) : t('iss.active'),
      !s.revoked_at && s.expires_at !== null && !expired(s) ? ` · ${t('iss.expires', { at: when(s.expires_at, ctx.zone) })}` : '',
      s.last_used_at ? ` · ${t('iss.lastUsed', { at: when(s.last_used_at, ctx.zone) })}` : '',
      s.revoked_at || ctx.readOnly ? null : h('button', { testid: 'share-revoke', class: 'link', onclick: async () => {
        await ctx.api.call('DELETE', `/projects/${project}/issued/${encodeURIComponent(r.id)}/shares/${encodeURIComponent(s.id)}`);
        await ctx.refresh();
      } }, t('iss.revoke')));
    const row = (r: Issued) => h('tr', { testid: 'issued-row', 'data-id': r.id, 'data-version': String(r.version) },
      h('td', {}, title(r), r.with_photos ? h('small', {}, ` · ${t('iss.withPhotos')}`) : null),
      h('td', { class: 'num', 'data-key': 'version' }, `v${r.version}`),
      h('td', {}, when(r.issued_at, ctx.zone)),
      h('td', { 'data-key': 'by' }, nameEl(ctx.i18n, r.issued_by_name)),
      h('td', {}, localDate(r.as_of, ctx.zone)),
      h('td', {}, (['pdf', 'xlsx'] as const).map(f => h('button', {
        testid: `issued-${f}`,
        onclick: () => void saveFile(`/api/v1/projects/${project}/issued/${encodeURIComponent(r.id)}?format=${f}&lang=${ctx.i18n.lang}`, auth,
          `${ctx.project}-${r.scope}-${r.round}-v${r.version}.${f}`).catch(e => ctx.notify((e as Error).message)),
      }, `${f.toUpperCase()} (${size(r.sizes[f])})`))),
      h('td', {},
        h('ul', { class: 'plain' }, r.shares.map(s => shareRow(r, s))),
        ctx.readOnly ? null : h('label', { class: 'inline small' }, t('iss.days'),
          h('input', { type: 'number', min: 1, max: 366, value: 30, size: 4, testid: 'share-days', 'data-report': r.id })),
        ctx.readOnly ? null : h('button', { testid: 'share-new', onclick: async (e: Event) => {
          const cell = (e.target as HTMLElement).parentElement!;
          const days = Number((cell.querySelector('[data-testid="share-days"]') as HTMLInputElement).value) || 30;
          const made = await ctx.api.post<NewShare>(`/projects/${project}/issued/${encodeURIComponent(r.id)}/shares`, { days })
            .catch((x: Error) => { ctx.notify(x.message); throw x; });
          const url = `${location.origin}${made.path}`;
          await ctx.refresh();
          const area = document.querySelector('[data-testid="new-link-area"]') as HTMLElement | null;
          if (area) mount(area, h('p', {}, t('iss.newLink')), h('input', { testid: 'new-link', readonly: true, value: url, size: 80, 'aria-label': t('iss.newLink') }));
        } }, t('iss.share'))));

    mount(el,
      h('h2', {}, t('nav.issued')),
      ctx.readOnly ? null : h('section', { class: 'panel' },
        h('h3', {}, t('iss.issue')),
        h('div', { class: 'row' },
          h('label', { class: 'inline' }, t('iss.round'), round),
          h('label', { class: 'inline' }, photos, t('iss.photos')),
          go, bar, status)),
      newLink,
      h('section', { class: 'panel' },
        h('h3', {}, t('iss.list')),
        list.length === 0 ? h('p', { testid: 'issued-none' }, t('iss.none')) : h('div', { class: 'scroll' }, h('table', {},
          h('thead', {}, h('tr', {}, ['report', 'version', 'issued', 'by', 'asOf', 'files', 'links'].map(k => h('th', {}, t(`iss.col.${k}`))))),
          h('tbody', {}, list.map(row))))));
  },
};
