import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STRINGS } from './strings.js';

test('every word of the tablet app exists in English and in Chinese', () => {
  const en = Object.keys(STRINGS.en).sort(), zh = Object.keys(STRINGS['zh-CN']).sort();
  assert.deepEqual(en.filter((k) => !zh.includes(k)), [], 'keys missing in zh-CN');
  assert.deepEqual(zh.filter((k) => !en.includes(k)), [], 'keys missing in en');
  for (const k of ['ca.label', 'ca.untrustedHint', 'ca.refused', 'plan.keys', 'plan.in', 'plan.enter']) {
    assert.ok(STRINGS.en[k] && STRINGS['zh-CN'][k] && STRINGS.en[k] !== STRINGS['zh-CN'][k], k);
  }
});
