import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSOLE_DICTS } from './strings.js';
import { SHELL_DICTS } from '../shared/shell.js';
import { DASHBOARD_DICTS } from './dashboard.js';
import { DEFECT_DICTS } from './defect.js';
import { RISK_DICTS } from './risks.js';
import { COMPANY_DICTS } from './company.js';
import { DISPATCH_DICTS } from './dispatch.js';
import { LINK_DICTS } from './links.js';
import { OUTBOX_DICTS } from './outbox.js';
import { HISTORY_DICTS } from './history.js';
import { NAMES_DICTS } from './names.js';
import { ISSUED_DICTS } from './issued.js';

test('every console, dashboard and shell string exists in both languages', () => {
  for (const d of [CONSOLE_DICTS, SHELL_DICTS, DASHBOARD_DICTS, DEFECT_DICTS, RISK_DICTS, COMPANY_DICTS, DISPATCH_DICTS, LINK_DICTS, OUTBOX_DICTS, HISTORY_DICTS, NAMES_DICTS, ISSUED_DICTS]) {
    const en = Object.keys(d.en).sort();
    const zh = Object.keys(d['zh-CN']).sort();
    assert.deepEqual(zh.filter(k => !en.includes(k)), []);
    assert.deepEqual(en.filter(k => !zh.includes(k)), []);
  }
});
