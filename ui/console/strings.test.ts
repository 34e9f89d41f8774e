import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSOLE_DICTS } from './strings.js';
import { SHELL_DICTS } from '../shared/shell.js';

test('every console and shell string exists in both languages', () => {
  for (const d of [CONSOLE_DICTS, SHELL_DICTS]) {
    const en = Object.keys(d.en).sort();
    const zh = Object.keys(d['zh-CN']).sort();
    assert.deepEqual(zh.filter(k => !en.includes(k)), []);
    assert.deepEqual(en.filter(k => !zh.includes(k)), []);
  }
});
