import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LABEL, barChart, barsFromTable, loadTrend, sortBars, textWidth, trendChart, trendPoint, weeksChart, wrapText } from './charts.js';
import type { Report, Table } from './report.js';

const table: Table = {
  key: 'categories', zh: '分类', en: 'Categories',
  columns: [
    { key: 'key', zh: '代码', en: 'Code', kind: 'text' }, { key: 'name_zh', zh: '分类', en: 'Name (zh)', kind: 'text' },
    { key: 'name_en', zh: '分类（英文）', en: 'Name', kind: 'text' }, { key: 'own', zh: '自查', en: 'Own', kind: 'count' },
  ],
  rows: [['paint', '涂料', '', 3], ['leak', '渗漏', 'Leakage', 7]],
};

test('bars come from one column of a table, labelled in the reader language', () => {
  assert.deepEqual(barsFromTable(table, 'own', 'zh-CN'), [
    { key: 'leak', label: '渗漏', value: 7 }, { key: 'paint', label: '涂料', value: 3 }]);
  assert.equal(barsFromTable(table, 'own', 'en')[1].label, 'paint');
  assert.deepEqual(barsFromTable(table, 'missing', 'en'), []);
  assert.deepEqual(barsFromTable(undefined, 'own', 'en'), []);
});

test('bars are sorted largest first, equal values by label', () => {
  assert.deepEqual(sortBars([{ key: 'a', label: 'B', value: 1 }, { key: 'b', label: 'A', value: 1 }, { key: 'c', label: 'C', value: 5 }]).map(b => b.key),
    ['c', 'b', 'a']);
});

test('a long label wraps onto lines that fit, never cut', () => {
  const name = 'Suzhou Huajian Construction Group Co., Ltd. (civil works and plastering)';
  const lines = wrapText(name, MAX_LABEL);
  assert.ok(lines.length > 1);
  assert.equal(lines.join(' '), name);
  for (const l of lines) assert.ok(textWidth(l) <= MAX_LABEL, l);
  const zh = '苏州欧雅整体橱柜有限公司苏州欧雅整体橱柜有限公司苏州欧雅整体橱柜有限公司';
  assert.equal(wrapText(zh, MAX_LABEL).join(''), zh);
  assert.ok(textWidth('苏州') > textWidth('ab'));
  const svg = String(barChart([{ key: 'c', label: name, value: 3 }], 'c'));
  assert.doesNotMatch(svg, /…/);
  assert.equal((svg.match(/<tspan/g) ?? []).length, lines.length);
});

test('every bar carries its number and the largest is the longest', () => {
  const svg = String(barChart(barsFromTable(table, 'own', 'en'), 'chart-categories'));
  assert.match(svg, /data-key="leak" data-value="7"><title>Leakage: 7<\/title>/);
  assert.match(svg, /width="300" height="16" fill/);
  assert.match(svg, /width="129" height="16" fill/);
});

function report(round: number, found: number, open: number, overdue: number): Report {
  return {
    project: 'p', project_name: { zh: 'p', en: 'p' }, scope: 'round', round, as_of: `2026-0${round}-01T00:00:00Z`,
    handover_date: '2026-10-31', time_zone: 'Asia/Shanghai', days_to_handover: 10,
    tables: [{ key: 'summary', zh: '', en: '', columns: [], rows: [
      ['defects_found', '', '', found, null], ['open_defects', '', '', open, null], ['overdue', '', '', overdue, null]] }],
  } as unknown as Report; // only what the charts read
}

test('the trend is the server one when sent, else one point per started round', async () => {
  const given = [{ round: 1, as_of: 'x', found: 1, open: 1, overdue: 0 }];
  assert.deepEqual(await loadTrend({ ...report(2, 0, 0, 0), trend: given }, [1, 2], () => { throw new Error('no fetch'); }), given);
  const fetched = await loadTrend(report(2, 0, 0, 0), [1, 2], async (r) => report(r, 10 * r, 5 * r, r));
  assert.deepEqual(fetched.map(p => [p.round, p.found, p.open, p.overdue]), [[1, 10, 5, 1], [2, 20, 10, 2]]);
  assert.equal(trendPoint(report(3, 1, 2, 3)).open, 2);
  const svg = String(trendChart(fetched, { open: 'Open', overdue: 'Overdue', found: 'Found', closed: 'Closed', round: (n) => `R${n}` }));
  assert.equal((svg.match(/data-testid="trend-point"/g) ?? []).length, 2);
  assert.match(svg, /data-round="2" data-open="10" data-overdue="2"/);
  // Every value printed at its point.
  assert.match(svg, />10<\/text>/);
});

test('the weekly trend is a line with a point per week, its numbers printed', () => {
  const weeks = [
    { week_start: '2026-07-20', as_of: 'x', found: 5, closed: 1, open: 4, overdue: 0 },
    { week_start: '2026-07-27', as_of: 'y', found: 2, closed: 3, open: 3, overdue: 2 },
  ];
  const svg = String(weeksChart(weeks, { open: 'Open', overdue: 'Overdue', found: 'Found', closed: 'Closed', round: (n) => `R${n}`, week: (d) => `Week of ${d}` }));
  assert.equal((svg.match(/data-testid="week-point"/g) ?? []).length, 2);
  assert.match(svg, /data-week="2026-07-27" data-open="3" data-overdue="2" data-found="2" data-closed="3"/);
  assert.match(svg, /<title>Week of 2026-07-20: Open 4, Overdue 0, Found 5, Closed 1<\/title>/);
  assert.match(svg, />07-27<\/text>/);
  assert.match(svg, /<polyline/);
});

test('chart labels from data are text, never markup', () => {
  const svg = String(barChart([{ key: '"><img src=x onerror=alert(1)>', label: '<script>alert(1)</script>', value: 1 }], 'c'));
  assert.doesNotMatch(svg, /<img|<script/);
  assert.match(svg, /data-key="&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;"/);
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});
