import { test } from 'node:test';
import assert from 'node:assert/strict';
import { I18n } from '../shared/i18n.js';
import type { Ctx } from '../shared/shell.js';
import { HISTORY_DICTS, HistoryEntry, changeLines, describe } from './history.js';
import { NAMES_DICTS } from './names.js';
import { mergeDicts } from '../shared/shell.js';

const known = (zh: string, en = zh) => ({ zh, en, known: true });
const entry: HistoryEntry = {
  at: '2026-12-01T10:00:00Z', by: 'u-cs', kind: 'reassign', what: 'reassigned defect d1 (unit 1-101) from c-a to c-b: left the site',
  detail: { unit: '1-101', reason: 'left the site', responsible: 'c-a', old: { contractor: 'c-a' }, new: { contractor: 'c-b' } },
  by_name: known('王敏'), names: { 'contractor:c-a': known('甲公司', 'Alpha'), 'contractor:c-b': known('乙公司', 'Beta'), 'unit:1-101': known('1号楼 101', 'Building 1 101') },
};

test('a reassignment is said in either language with old and new contractor, reason and the responsible party', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  i18n.set('en');
  assert.equal(describe(ctx, entry),
    'Defect in unit Building 1 101 moved from Alpha to Beta; reason: left the site (responsible: Alpha)');
  i18n.set('zh-CN');
  assert.equal(describe(ctx, entry), '房源 1号楼 101 的问题由 甲公司 改派给 乙公司；原因：left the site（责任单位：甲公司）');
});

test('an id the project does not know is shown as itself, marked', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  i18n.set('en');
  const e = { ...entry, names: { ...entry.names, 'contractor:c-b': { zh: 'c-b', en: 'c-b', known: false } } };
  assert.match(describe(ctx, e), /moved from Alpha to c-b \(unknown\);/);
  i18n.set('zh-CN');
  assert.match(describe(ctx, { ...e, names: {} }), /由 c-a（未登记） 改派给 c-b（未登记）/);
});

test('setup and people acts are said with names, in either language', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  const put: HistoryEntry = { ...entry, kind: 'setup', what: 'contractor c-a', detail: { op: 'put_contractor', changes: [
    { field: 'contractors', key: 'c-a', old: { phone: '1' }, new: { phone: '2' } }] } };
  const invite: HistoryEntry = { ...entry, kind: 'people', what: 'u-x (李伟) invited as inspector', detail: { user: 'u-x', name: '李伟', role: 'inspector' } };
  i18n.set('en');
  assert.equal(describe(ctx, put), 'Saved contractor Alpha');
  assert.deepEqual(changeLines(ctx, put), ['Contractors Alpha · phone: 1 → 2']);
  assert.equal(describe(ctx, invite), 'Invited 李伟 as inspector');
  i18n.set('zh-CN');
  assert.equal(describe(ctx, put), '保存施工单位 甲公司');
  assert.equal(describe(ctx, invite), '邀请 李伟 为验房人员');
});

test('an entry of a kind without words of its own is shown as recorded', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  assert.equal(describe(ctx, { ...entry, kind: 'setup', what: 'category added', detail: {} }), 'category added');
});

test('a setup change lists each old and new value, and a count where many entries changed', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  i18n.set('en');
  const e: HistoryEntry = { ...entry, kind: 'setup', what: 'category c1 changed', detail: { changes: [
    { field: 'categories', key: 'c1', old: { hours: 24 }, new: { hours: 72 } }, { field: 'name', old: null, new: 'B' }, { field: 'units', entries: 40 },
  ] } };
  assert.deepEqual(changeLines(ctx, e), ['Categories c1 (unknown) · hours: 24 → 72', 'Name: — → B', 'Units: 40 entries changed']);
  // A whole record changed: only what differs in it, nested fields by their path; a new entry as a whole.
  const contractor: HistoryEntry = { ...entry, kind: 'setup', what: '', detail: { changes: [
    { field: 'contractors', key: 'c-a', old: { id: 'c-a', contact: { phone: '1', name: 'Gu' } }, new: { id: 'c-a', contact: { phone: '2', name: 'Gu' } } },
    { field: 'contractors', key: 'c-b', old: null, new: { id: 'c-b', phone: '3' } }] } };
  assert.deepEqual(changeLines(ctx, contractor), ['Contractors Alpha · contact.phone: 1 → 2', 'Contractors Beta: — → {"phone":"3"}']);
});

test('reports and risks are said in either language from their particulars', () => {
  const i18n = new I18n(mergeDicts(HISTORY_DICTS, NAMES_DICTS));
  const ctx = { i18n } as unknown as Ctx;
  const issued: HistoryEntry = { ...entry, kind: 'report_issued', what: 'issued round 2 report v1', detail: { scope: 'round', round: 2, version: 1 } };
  const risk: HistoryEntry = { ...entry, kind: 'risk', what: 'accepted…', detail: { unit: '1-101', edit: false, new: { unified_answer: { zh: '交付后统一维修', en: 'Repaired after handover' } } } };
  i18n.set('en');
  assert.equal(describe(ctx, issued), 'Issued the round 2 report, version 1');
  assert.equal(describe(ctx, risk), 'Accepted the risk of a defect in unit Building 1 101; answer to owners: Repaired after handover');
  i18n.set('zh-CN');
  assert.equal(describe(ctx, issued), '发布第 2 轮报告第 1 版');
  assert.equal(describe(ctx, risk), '接受房源 1号楼 101 问题的风险；对业主统一口径：交付后统一维修');
  assert.equal(describe(ctx, { ...issued, detail: {} }), 'issued round 2 report v1', 'an older row as recorded');
});
