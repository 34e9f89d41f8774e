import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellKind, countdownText, formatCell, roundChoices, visibleColumns, Report, Table } from './report.js';

const summary: Table = {
  key: 'summary', zh: '概况', en: 'Summary',
  columns: [
    { key: 'metric', zh: '指标代码', en: 'Metric', kind: 'text' }, { key: 'name_zh', zh: '指标', en: 'Name (zh)', kind: 'text' },
    { key: 'name_en', zh: '指标（英文）', en: 'Name', kind: 'text' }, { key: 'value', zh: '本期', en: 'This report', kind: 'number' },
  ],
  rows: [['timely_rate', '及时完结率', 'Timely completion rate', 0.4615], ['units_total', '房源总数', 'Units', 69]],
};

test('rates show as percentages, missing values as a dash', () => {
  assert.equal(formatCell(0.4615, 'rate'), '46.2%');
  assert.equal(formatCell(null, 'rate'), '—');
  assert.equal(formatCell(3, 'count'), '3');
  assert.equal(formatCell('c-guan', 'text'), 'c-guan');
});

test('the summary\'s value column takes the kind of its row', () => {
  assert.equal(cellKind(summary, summary.rows[0], 3), 'rate');
  assert.equal(cellKind(summary, summary.rows[1], 3), 'number');
});

test('names in the chosen language only, codes hidden when a name exists', () => {
  assert.deepEqual(visibleColumns(summary, 'zh-CN'), [1, 3]);
  assert.deepEqual(visibleColumns(summary, 'en'), [2, 3]);
  const plain: Table = { ...summary, columns: [summary.columns[0], summary.columns[3]] };
  assert.deepEqual(visibleColumns(plain, 'en'), [0, 1]);
});

test('every planned round, then cumulative', () => {
  assert.deepEqual(roundChoices(3), ['1', '2', '3', 'cumulative']);
});

test('the days to handover read in words, the count only for a report issued before the words', () => {
  const report = { days_to_handover: -31, countdown: { zh: '交付已逾期 31 天', en: '31 days past handover' } } as Report;
  assert.equal(countdownText(report, (t) => t.en), '31 days past handover');
  assert.equal(countdownText(report, (t) => t.zh), '交付已逾期 31 天');
  assert.equal(countdownText({ days_to_handover: 12 } as Report, (t) => t.en), '12');
});
