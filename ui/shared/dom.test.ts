import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeHtml, html, raw, safeUrl } from './dom.js';

const PAYLOADS = ['"><img src=x onerror=window.__pwned=1>', "'><svg onload=window.__pwned=1>", '<script>window.__pwned=1</script>',
  '</textarea><img src=x onerror=window.__pwned=1>', '`${1}`', '&lt;already&gt;'];

test('every value put into an html template is text: no tag, no way out of a quoted attribute', () => {
  for (const p of PAYLOADS) {
    const e = escapeHtml(p);
    assert.doesNotMatch(e, /[<>"'`]/, e);
    assert.equal(String(html`<p title="${p}" data-x='${p}'>${p}</p>`), `<p title="${e}" data-x='${e}'>${e}</p>`);
  }
  assert.equal(String(html`<b>${'a&b'}</b>`), '<b>a&amp;b</b>');
});

test('markup from html and raw passes as is; lists are joined; nothing for null, undefined and false', () => {
  const inner = html`<i>${'<x>'}</i>`;
  assert.equal(String(html`<p>${inner}${raw('<br>')}${[html`<a>`, 'b', 1]}${null}${undefined}${false}</p>`), '<p><i>&lt;x&gt;</i><br><a>b1</p>');
});

test('URLs: relative, http(s), blob and mailto pass; javascript: and other schemes do not', () => {
  for (const ok of ['#/dashboard', '/ui/console/', 'report.pdf', 'https://example.com/a', 'blob:http://x/1', 'mailto:a@b.c']) {
    assert.equal(safeUrl(ok), ok);
  }
  for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'vbscript:x']) {
    assert.equal(safeUrl(bad), '#', bad);
  }
});

/** The front ends' own sources (not tests, not the browser scripts). */
function sources(): { path: string; text: string }[] {
  const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const out: { path: string; text: string }[] = [];
  for (const dir of ['shared', 'app', 'console', 'contractor']) {
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if ((name.endsWith('.ts') && !name.endsWith('.test.ts')) || name.endsWith('.html')) {
          out.push({ path: relative(ui, p), text: readFileSync(p, 'utf8') });
        }
      }
    };
    walk(join(ui, dir));
  }
  assert.ok(out.length > 10, 'the sources were found');
  return out;
}

test('markup reaches the page only through setHtml, and only html templates write markup', () => {
  for (const { path, text } of sources()) {
    if (!path.endsWith('.ts')) continue;
    const code = path === join('shared', 'dom.ts') ? text.replace(/el\.innerHTML = content\.markup;/, '') : text;
    assert.doesNotMatch(code, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/, path);
    // A template literal that starts a tag must be an html`…` template.
    // (Doc comments are not code: they quote `<placeholders>`.)
    const untagged = [...code.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/(\w*)`\s*<[a-zA-Z/!]/g)].filter((m) => m[1] !== 'html');
    assert.deepEqual(untagged.map((m) => m[0]), [], `${path}: markup written without html\`…\``);
  }
});

test('pages have no inline script and no inline event handlers (a strict CSP allows neither)', () => {
  for (const { path, text } of sources()) {
    if (!path.endsWith('.html')) continue;
    for (const tag of text.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\ssrc=/, `${path}: ${tag}`);
    assert.doesNotMatch(text, /<script\b[^>]*>[^<\s]/, `${path}: inline script`);
    assert.doesNotMatch(text, /\son[a-z]+\s*=/i, `${path}: inline handler`);
    assert.doesNotMatch(text, /\sstyle\s*=/i, `${path}: inline style`);
  }
});
