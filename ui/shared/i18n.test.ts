import { test } from 'node:test';
import assert from 'node:assert/strict';
import { I18n, initialLang } from './i18n.js';

test('system locale decides the first language, a stored choice wins', () => {
  assert.equal(initialLang(['zh-CN', 'en-US'], null), 'zh-CN');
  assert.equal(initialLang(['zh-TW'], null), 'zh-CN');
  assert.equal(initialLang(['en-GB'], null), 'en');
  assert.equal(initialLang(['fr-FR'], null), 'en');
  assert.equal(initialLang(['zh-CN'], 'en'), 'en');
});

test('translation falls back to English, then to the key; placeholders are filled', () => {
  const i = new I18n({ en: { hi: 'Hello {name}', only: 'English only' }, 'zh-CN': { hi: '你好 {name}' } }, 'zh-CN');
  assert.equal(i.t('hi', { name: '李' }), '你好 李');
  assert.equal(i.t('only'), 'English only');
  assert.equal(i.t('missing.key'), 'missing.key');
  assert.equal(i.pick({ zh: '卧室', en: 'Bedroom' }), '卧室');
  i.lang = 'en';
  assert.equal(i.pick({ zh: '卧室', en: '' }), '卧室');
});
