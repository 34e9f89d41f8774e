import { test } from 'node:test';
import assert from 'node:assert/strict';
import { I18n } from '../shared/i18n.js';
import type { Ctx } from '../shared/shell.js';
import { HISTORY_DICTS, HistoryEntry, changeLines, describe } from './history.js';

const entry: HistoryEntry = {
  at: '2026-12-01T10:00:00Z', by: 'u-cs', kind: 'reassign', what: 'reassigned defect d1 (unit 1-101) from c-a to c-b: left the site',
  detail: { unit: '1-101', reason: 'left the site', responsible: 'c-a', old: { contractor: 'c-a' }, new: { contractor: 'c-b' } },
};
const names: Record<string, string> = { 'c-a': 'Alpha', 'c-b': 'Beta' };

test('a reassignment is said in either language with old and new contractor, reason and the responsible party', () => {
  const i18n = new I18n(HISTORY_DICTS);
  const ctx = { i18n } as unknown as Ctx;
  i18n.set('en');
  assert.equal(describe(ctx, entry, id => names[id ?? ''] ?? '?'),
    'Defect in unit 1-101 moved from Alpha to Beta; reason: left the site (responsible: Alpha)');
  i18n.set('zh-CN');
  assert.equal(describe(ctx, entry, id => names[id ?? ''] ?? '?'), '房源 1-101 的问题由 Alpha 改派给 Beta；原因：left the site（责任单位：Alpha）');
});

test('an entry of a kind without words of its own is shown as recorded', () => {
  const i18n = new I18n(HISTORY_DICTS);
  const ctx = { i18n } as unknown as Ctx;
  assert.equal(describe(ctx, { ...entry, kind: 'setup', what: 'category added', detail: {} }, () => ''), 'category added');
});

test('a setup change lists each old and new value, and a count where many entries changed', () => {
  const i18n = new I18n(HISTORY_DICTS);
  const ctx = { i18n } as unknown as Ctx;
  i18n.set('en');
  const e: HistoryEntry = { ...entry, kind: 'setup', what: 'category c1 changed', detail: { changes: [
    { field: 'categories', key: 'c1', old: { hours: 24 }, new: { hours: 72 } }, { field: 'name', old: null, new: 'B' }, { field: 'units', entries: 40 },
  ] } };
  assert.deepEqual(changeLines(ctx, e), ['categories c1: {"hours":24} → {"hours":72}', 'name: — → B', 'units: 40 entries changed']);
});

test('reports and risks are said in either language from their particulars', () => {
  const i18n = new I18n(HISTORY_DICTS);
  const ctx = { i18n } as unknown as Ctx;
  const issued: HistoryEntry = { ...entry, kind: 'report_issued', what: 'issued round 2 report v1', detail: { scope: 'round', round: 2, version: 1 } };
  const risk: HistoryEntry = { ...entry, kind: 'risk', what: 'accepted…', detail: { unit: '1-101', edit: false, new: { unified_answer: { zh: '交付后统一维修', en: 'Repaired after handover' } } } };
  i18n.set('en');
  assert.equal(describe(ctx, issued, () => ''), 'Issued the round 2 report, version 1');
  assert.equal(describe(ctx, risk, () => ''), 'Accepted the risk of a defect in unit 1-101; answer to owners: Repaired after handover');
  i18n.set('zh-CN');
  assert.equal(describe(ctx, issued, () => ''), '发布第 2 轮报告第 1 版');
  assert.equal(describe(ctx, risk, () => ''), '接受房源 1-101 问题的风险；对业主统一口径：交付后统一维修');
  assert.equal(describe(ctx, { ...issued, detail: {} }, () => ''), 'issued round 2 report v1', 'an older row as recorded');
});
