import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, barsFromTable, loadTrend, trendChart, trendPoint } from './charts.js';
import type { Report, Table } from './report.js';

const table: Table = {
  key: 'categories', zh: '分类', en: 'Categories',
  columns: [
    { key: 'key', zh: '代码', en: 'Code', kind: 'text' }, { key: 'name_zh', zh: '分类', en: 'Name (zh)', kind: 'text' },
    { key: 'name_en', zh: '分类（英文）', en: 'Name', kind: 'text' }, { key: 'own', zh: '自查', en: 'Own', kind: 'count' },
  ],
  rows: [['leak', '渗漏', 'Leakage', 7], ['paint', '涂料', '', 3]],
};

test('bars come from one column of a table, labelled in the reader language', () => {
  assert.deepEqual(barsFromTable(table, 'own', 'zh-CN'), [
    { key: 'leak', label: '渗漏', value: 7 }, { key: 'paint', label: '涂料', value: 3 }]);
  assert.equal(barsFromTable(table, 'own', 'en')[1].label, 'paint');
  assert.deepEqual(barsFromTable(table, 'missing', 'en'), []);
  assert.deepEqual(barsFromTable(undefined, 'own', 'en'), []);
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
  };
}

test('the trend is the server one when sent, else one point per started round', async () => {
  const given = [{ round: 1, as_of: 'x', found: 1, open: 1, overdue: 0 }];
  assert.deepEqual(await loadTrend({ ...report(2, 0, 0, 0), trend: given }, [1, 2], () => { throw new Error('no fetch'); }), given);
  const fetched = await loadTrend(report(2, 0, 0, 0), [1, 2], async (r) => report(r, 10 * r, 5 * r, r));
  assert.deepEqual(fetched.map(p => [p.round, p.found, p.open, p.overdue]), [[1, 10, 5, 1], [2, 20, 10, 2]]);
  assert.equal(trendPoint(report(3, 1, 2, 3)).open, 2);
  const svg = String(trendChart(fetched, { open: 'Open', overdue: 'Overdue', round: (n) => `R${n}` }));
  assert.equal((svg.match(/data-testid="trend-point"/g) ?? []).length, 2);
  assert.match(svg, /data-round="2" data-open="10" data-overdue="2"/);
});

test('chart labels from data are text, never markup', () => {
  const svg = String(barChart([{ key: '"><img src=x onerror=alert(1)>', label: '<script>alert(1)</script>', value: 1 }], 'c'));
  assert.doesNotMatch(svg, /<img|<script/);
  assert.match(svg, /data-key="&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;"/);
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});
