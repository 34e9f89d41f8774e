// A shared report: opened by a link the CS center made for one issued
// report (the secret in the URL fragment, sent as X-Share-Token, never in
// a URL the server logs). Shows that report as issued and offers its PDF
// and workbook; a revoked or unknown link shows only that it is not valid.

import { h, mount } from '../shared/dom.js';
import { I18n } from '../shared/i18n.js';
import { Report, Table, cellKind, formatCell, visibleColumns } from './report.js';
import { Issued, when } from './issued.js';
import { saveFile } from './names.js';
import { localDate } from '../shared/time.js';

const i18n = new I18n({
  en: {
    title: 'Mock inspection report', invalid: 'This report link is not valid. It may have expired or been revoked; ask the CS center for a new one.',
    meta: '{project} · {scope} · version {v} · issued {issued} · figures as of {asOf}', roundN: 'Round {n}',
    cumulative: 'Cumulative to round {n}', lang: '中文', download: 'Download',
  },
  'zh-CN': {
    title: '模拟验收报告', invalid: '此报告链接无效，可能已过期或被撤销，请向客服中心索取新的链接。',
    meta: '{project} · {scope} · 第 {v} 版 · 发布于 {issued} · 统计截止 {asOf}', roundN: '第 {n} 轮',
    cumulative: '累计至第 {n} 轮', lang: 'English', download: '下载',
  },
});

function tableView(table: Table) {
  const lang = i18n.lang;
  const cols = visibleColumns(table, lang);
  return h('section', { class: 'panel', testid: `table-${table.key}` },
    h('h3', {}, lang === 'zh-CN' ? table.zh : table.en),
    h('table', {},
      h('thead', {}, h('tr', {}, cols.map(i => h('th', {}, lang === 'zh-CN' ? table.columns[i].zh : table.columns[i].en)))),
      h('tbody', {}, table.rows.map(row => h('tr', { testid: `row-${table.key}` }, cols.map(i =>
        h('td', { 'data-key': table.columns[i].key, class: table.columns[i].kind === 'text' ? '' : 'num' },
          formatCell(row[i], cellKind(table, row, i)))))))));
}

async function main() {
  const root = document.getElementById('app')!;
  const token = decodeURIComponent(location.hash.replace(/^#/, ''));
  const headers = { 'X-Share-Token': token };
  const res = await fetch('/api/v1/shared-report', { headers });
  if (!res.ok) {
    mount(root, h('main', { class: 'page' }, h('h1', {}, i18n.t('title')), h('p', { class: 'error', testid: 'shared-invalid' }, i18n.t('invalid'))));
    return;
  }
  const { issued, report } = (await res.json()) as { issued: Issued; report: Report };
  const render = () => {
    const t = (k: string, v?: Record<string, string | number>) => i18n.t(k, v);
    const scope = issued.scope === 'cumulative' ? t('cumulative', { n: issued.round }) : t('roundN', { n: issued.round });
    mount(root, h('main', { class: 'page' },
      h('div', { class: 'row' },
        h('h1', { class: 'grow' }, t('title')),
        h('button', { testid: 'lang', onclick: () => { i18n.set(i18n.lang === 'en' ? 'zh-CN' : 'en'); render(); } }, t('lang'))),
      h('p', { testid: 'shared-meta' }, t('meta', {
        project: i18n.pick(report.project_name), scope, v: issued.version, issued: when(issued.issued_at, report.time_zone), asOf: localDate(report.as_of, report.time_zone),
      })),
      h('div', { class: 'row' }, h('span', {}, t('download')),
        (['pdf', 'xlsx'] as const).map(f => h('button', { testid: `shared-${f}`, onclick: () =>
          void saveFile(`/api/v1/shared-report?format=${f}&lang=${i18n.lang}`, headers, `${report.project}-${issued.scope}-${issued.round}-v${issued.version}.${f}`) },
        f.toUpperCase()))),
      report.tables.map(tableView)));
  };
  render();
}

void main();
