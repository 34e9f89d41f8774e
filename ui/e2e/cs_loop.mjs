// The CS center's loop between rounds, in the console at tablet width:
// dispatch a selection and then the rest, reassign an item (refused without
// a reason), open a contractor's list and its PDF, create a contractor link
// and open it from its QR code (decoded with jsQR from the rendered image)
// in a phone-sized browser, revoke it (the page then refuses), watch a
// failing notification and retry it once the receiver recovers, and read
// the history. Prints JSON for tests/tests/cs_loop.rs to check.
//
//   node e2e/cs_loop.mjs URL PROJECT RECEIVER_URL PDF_OUT
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, artefact, signIn, tableRows } from './browser.mjs';

const [url, project, receiver, pdfOut] = process.argv.slice(2);
const jsQR = createRequire(import.meta.url)('jsqr');
const out = {};
const browser = await launch();
const context = await browser.newContext({ locale: 'en-US', viewport: { width: 768, height: 1024 } });
const page = await context.newPage();
const id = (t) => page.locator(`[data-testid="${t}"]`);
const nav = async (name) => { await id(`nav-${name}`).click(); await id(`page-${name}`).waitFor(); };
/** The page read again from the server (the address keeps page and project). */
const reopen = async (name) => { await page.reload(); await id(`page-${name}`).waitFor(); };
const until = async (what, f, ms = 30000) => {
  const start = Date.now();
  for (;;) {
    if (await f()) return;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
};
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await nav('dispatch');

  // The plan: grouped by contractor, each item with its deadline.
  await id('dispatch-group').first().waitFor();
  const plan = async () => page.locator('[data-testid="dispatch-group"]').evaluateAll((gs) => gs.map((g) => ({
    contractor: g.getAttribute('data-contractor'),
    items: [...g.querySelectorAll('[data-testid="dispatch-item"]')].map((tr) => ({
      defect: tr.getAttribute('data-defect'), unit: tr.getAttribute('data-unit'),
      deadline: tr.querySelector('[data-key="deadline"]').textContent.trim(),
    })),
  })));
  out.planBefore = await plan();
  await page.screenshot({ path: artefact('cs-loop-dispatch.png'), fullPage: true });

  // Dispatch a selection: the first item of the first group.
  const first = out.planBefore[0].items[0];
  out.selected = first.defect;
  await id('dispatch-selected').click();
  out.emptySelection = (await id('dispatch-error').textContent()).trim();
  await page.locator(`[data-testid="dispatch-item"][data-defect="${first.defect}"] [data-testid="dispatch-pick"]`).check();
  await id('dispatch-selected').click();
  const waiting = out.planBefore.reduce((n, g) => n + g.items.length, 0);
  await until('the plan without the dispatched item', async () =>
    (await page.locator('[data-testid="dispatch-item"]').count()) === waiting - 1
    && (await page.locator(`[data-testid="dispatch-item"][data-defect="${first.defect}"]`).count()) === 0);
  out.planAfterSelection = await plan();
  // Then all the rest.
  await id('dispatch-all').click();
  await id('dispatch-none').waitFor();

  // A contractor's list; reassign one item, first without a reason.
  const target = out.planBefore.find((g) => g.items.length >= 2) ?? out.planBefore[0];
  out.listContractor = target.contractor;
  await id('list-contractor').selectOption(target.contractor);
  await id('list-round').selectOption('');
  await id('list-show').click();
  await id('list-item').first().waitFor();
  out.listItems = await tableRows(page, 'list-item');
  const moved = out.listItems[0]._row;
  out.reassigned = moved;
  await page.locator(`[data-testid="list-item"][data-defect="${moved}"] [data-testid="list-reassign"]`).click();
  const form = id('reassign-form');
  out.reassignTo = await form.locator('[data-testid="reassign-to"]').inputValue();
  await form.locator('[data-testid="reassign-save"]').click();
  await form.locator('[data-testid="reassign-error"]:not([hidden])').waitFor();
  out.reassignRefused = (await form.locator('[data-testid="reassign-error"]').textContent()).trim();
  await form.locator('[data-testid="reassign-reason"]').fill('原施工班组已撤场 / the first crew left the site');
  await form.locator('[data-testid="reassign-save"]').click();
  await until('the list without the moved item', async () =>
    (await page.locator(`[data-testid="list-item"][data-defect="${moved}"]`).count()) === 0 && (await id('list-out').count()) > 0);
  out.listAfter = await tableRows(page, 'list-item');
  // Its printable sheet, as the link downloads it (with the session cookie).
  const href = await id('list-pdf').getAttribute('href');
  out.pdfHref = href;
  const pdf = await page.request.get(new URL(href, url).toString());
  out.pdfStatus = pdf.status();
  out.pdfType = pdf.headers()['content-type'];
  writeFileSync(pdfOut, await pdf.body());

  // A contractor link, shown once with its QR code.
  await nav('links');
  await id('link-contractor').selectOption(out.reassignTo);
  await id('link-days').fill('7');
  await id('link-create').click();
  await id('link-qr').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="link-qr"]')?.naturalWidth > 0);
  out.shownUrl = await id('link-url').inputValue();
  await page.screenshot({ path: artefact('cs-loop-link.png'), fullPage: true });
  // The image's pixels as the page drew it, decoded here (the console's
  // content policy forbids injecting a decoder into the page).
  const size = 320;
  const pixels = await page.evaluate((size) => {
    const img = document.querySelector('[data-testid="link-qr"]');
    const canvas = document.createElement('canvas');
    canvas.width = size; canvas.height = size;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, size, size);
    g.drawImage(img, 0, 0, size, size);
    return Array.from(g.getImageData(0, 0, size, size).data);
  }, size);
  out.decodedUrl = jsQR(Uint8ClampedArray.from(pixels), size, size)?.data ?? null;
  out.linksListed = await tableRows(page, 'link-row');

  // The phone opens the decoded address.
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p2 = await phone.newPage();
  await p2.goto(out.decodedUrl);
  await p2.waitForSelector('[data-testid="count"]');
  out.phoneItems = await p2.locator('[data-testid="item"]').count();
  out.phoneContractor = await p2.innerText('[data-testid="contractor"]');
  await p2.screenshot({ path: artefact('cs-loop-phone.png'), fullPage: true });

  // Revoked: the phone's page refuses.
  const mine = out.linksListed.find((l) => l.data_by === 'u-cs-wang' && l.data_contractor === out.reassignTo);
  const linkId = mine.data_link;
  out.linkId = linkId;
  await page.locator(`[data-testid="link-row"][data-link="${linkId}"] [data-testid="link-revoke"]`).click();
  await page.locator(`[data-testid="link-row"][data-link="${linkId}"] [data-testid="link-revoke"]`).waitFor({ state: 'detached' });
  out.linkState = (await page.locator(`[data-testid="link-row"][data-link="${linkId}"] [data-key="state"]`).textContent()).trim();
  await p2.reload();
  await p2.waitForSelector('[data-testid="refused"]');
  out.phoneRefused = await p2.innerText('[data-testid="refused"]');
  await reopen('links');
  await id('refusal-row').first().waitFor();
  out.refusals = await id('refusal-row').count();
  await phone.close();

  // The outbox: a message failing against the receiver (500), in words.
  await nav('outbox');
  await until('a failing message', async () => {
    await reopen('outbox');
    return (await page.locator('[data-testid="outbox-row"][data-status="failing"]').count()) > 0;
  });
  const failing = page.locator('[data-testid="outbox-row"][data-status="failing"]').first();
  out.retriedKey = await failing.getAttribute('data-key');
  out.failingError = (await failing.locator('[data-key="error"]').textContent()).trim();
  out.outboxBefore = await tableRows(page, 'outbox-row');
  await page.screenshot({ path: artefact('cs-loop-outbox.png'), fullPage: true });
  // The receiver recovers; retry now.
  const recovered = await fetch(`${receiver}/recover`, { method: 'POST' });
  out.recovered = recovered.status;
  await failing.locator('[data-testid="outbox-retry"]').click();
  await until('the retried message sent', async () => {
    await reopen('outbox');
    return (await page.locator(`[data-testid="outbox-row"][data-key="${out.retriedKey}"][data-status="sent"]`).count()) === 1;
  });
  out.outboxAfter = await tableRows(page, 'outbox-row');

  // A group robot set and removed on the links page (the secret never comes back).
  await nav('links');
  await id('robot-contractor').selectOption('s-ouya');
  await id('robot-kind').selectOption('dingtalk');
  await id('robot-webhook').fill('https://oapi.dingtalk.com/robot/send?access_token=test-token');
  await id('robot-secret').fill('SECtest-secret');
  await id('robot-save').click();
  await page.locator('[data-testid="robot-row"][data-contractor="s-ouya"]').waitFor();
  out.robotRow = (await page.locator('[data-testid="robot-row"][data-contractor="s-ouya"]').textContent()).trim();
  out.secretShown = await page.content().then((html) => html.includes('SECtest-secret'));
  await page.locator('[data-testid="robot-row"][data-contractor="s-ouya"] [data-testid="robot-remove"]').click();
  await id('robots-none').waitFor();

  // The console at phone width too: the dispatch page's lists scroll in their boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  await nav('dispatch');
  await id('list-show').click();
  await id('list-item').first().waitFor();
  out.phoneWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  // What sticks out past the phone's width, if anything (a table scrolls inside its box).
  out.tooWide = await page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
    .map((e) => `${e.tagName}[${e.getAttribute('data-testid')}]`));
  await page.screenshot({ path: artefact('cs-loop-console-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });

  // The history: every act with who, filterable, in both languages.
  await nav('history');
  await id('history-row').first().waitFor();
  out.history = await tableRows(page, 'history-row');
  // Rows shown once the page has re-rendered with the filter (kind, person).
  const rowsWhere = async (kind, by) => {
    await page.waitForFunction(([kind, by]) => {
      const rows = [...document.querySelectorAll('[data-testid="history-row"]')];
      return rows.length > 0 && rows.every((r) => (!kind || r.getAttribute('data-kind') === kind) && (!by || r.getAttribute('data-by') === by));
    }, [kind, by]);
    return tableRows(page, 'history-row');
  };
  await id('history-kind').selectOption('reassign');
  out.historyReassign = await rowsWhere('reassign', null);
  await id('history-kind').selectOption('');
  await page.waitForFunction(() => new Set([...document.querySelectorAll('[data-testid="history-row"]')].map((r) => r.getAttribute('data-kind'))).size > 1);
  await id('history-person').selectOption('u-cs-wang');
  out.historyByPerson = await rowsWhere(null, 'u-cs-wang');
  await id('history-kind').selectOption('reassign');
  await rowsWhere('reassign', 'u-cs-wang');
  await id('lang').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  out.historyReassignZh = await rowsWhere('reassign', 'u-cs-wang');
  await page.screenshot({ path: artefact('cs-loop-history.png'), fullPage: true });
} catch (e) {
  await page.screenshot({ path: artefact('cs-loop-failure.png'), fullPage: true }).catch(() => {});
  out.error = String(e.stack ?? e);
}
await browser.close();
console.log(JSON.stringify(out));
if (out.error) process.exit(1);
