// Shared by the browser scripts: Debian's Chromium through playwright-core,
// started the way this machine's closed network needs.
import { chromium } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.WALKTHROUGH_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/** A path for a screenshot or download the person running the tests may want to see. */
export function artefact(name) {
  return join(process.env.WALKTHROUGH_ARTEFACTS || tmpdir(), name);
}

/**
 * The rows of a table (elements with data-testid `testid`) as objects: `_row`
 * (the row's data-row, data-defect or data-project), `data_<name>` for each
 * data attribute, and each cell with a data-key by that key, as text.
 */
export function tableRows(page, testid) {
  return page.locator(`[data-testid="${testid}"]`).evaluateAll((trs) => trs.map((tr) => {
    const o = { _row: tr.getAttribute('data-row') ?? tr.getAttribute('data-defect') ?? tr.getAttribute('data-project') };
    for (const [k, v] of Object.entries(tr.dataset)) if (k !== 'testid') o[`data_${k}`] = v;
    for (const td of tr.querySelectorAll('td[data-key]')) o[td.getAttribute('data-key')] = td.textContent.trim();
    return o;
  }));
}

/** Sign in on the staff shell's form. */
export async function signIn(page, username, password = 'demo') {
  const id = (t) => page.locator(`[data-testid="${t}"]`);
  await id('username').fill(username);
  await id('password').fill(password);
  await id('signin-submit').click();
}
