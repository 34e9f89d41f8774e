// The CS center issues a report in the console and shares it, as a person
// would: sign in, choose the project, open "Issued reports", issue round 3
// (cumulative) with photos and watch the progress, download the PDF, make
// a share link and open it in a browser with no session (in Chinese), then
// revoke it and open it again. Prints what it saw as JSON for
// tests/tests/issued.rs.
//
//   node e2e/issued.mjs URL PROJECT
import { launch, artefact } from './browser.mjs';

const [url, project] = process.argv.slice(2);
const out = { stages: [] };
const browser = await launch();
const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
const page = await context.newPage();
const id = (t, p = page) => p.locator(`[data-testid="${t}"]`);
try {
  await page.goto(url);
  await id('username').fill('u-cs-wang');
  await id('password').fill('demo');
  await id('signin-submit').click();
  await id('project-picker').selectOption(project);
  await id('nav-issued').click();
  await id('page-issued').waitFor();
  await id('issued-none').waitFor();
  await id('issue-round').selectOption('cumulative');
  await id('issue-go').click();
  // Follow the progress shown until the new version is listed.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && (await id('issued-row').count()) === 0) {
    const stage = await id('issue-status').getAttribute('data-stage').catch(() => null);
    if (stage && out.stages[out.stages.length - 1] !== stage) out.stages.push(stage);
    await page.waitForTimeout(100);
  }
  out.versions = await page.locator('[data-testid="issued-row"] [data-key="version"]').allTextContents();
  const [download] = await Promise.all([page.waitForEvent('download'), id('issued-pdf').first().click()]);
  const saved = artefact('issued-from-console.pdf');
  await download.saveAs(saved);
  const { statSync } = await import('node:fs');
  out.pdfBytes = statSync(saved).size;

  await id('share-new').first().click();
  await id('new-link').waitFor();
  const link = await id('new-link').inputValue();
  out.link = link;
  await page.screenshot({ path: artefact('issued-console.png'), fullPage: true });

  // Someone without an account opens the link, in Chinese.
  const other = await browser.newContext({ locale: 'zh-CN' });
  const viewer = await other.newPage();
  await viewer.goto(link);
  await id('shared-meta', viewer).waitFor();
  out.sharedMeta = (await id('shared-meta', viewer).textContent()).trim();
  out.sharedTables = await viewer.locator('[data-testid^="table-"]').count();
  await viewer.screenshot({ path: artefact('issued-shared.png'), fullPage: true });

  // Revoked: the link shows only that it is not valid.
  await id('share-revoke').first().click();
  await page.waitForSelector('[data-testid="share"][data-state="revoked"]');
  out.sharedStates = await page.locator('[data-testid="share"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
  await viewer.reload();
  await id('shared-invalid', viewer).waitFor();
  out.invalid = (await id('shared-invalid', viewer).textContent()).trim();

  await id('lang').click();
  await id('page-issued').waitFor();
  out.headingsZh = (await page.locator('#app').innerText()).slice(0, 2000);
  out.errors = await page.locator('[data-testid="error"]:visible').count();
} catch (e) {
  await page.screenshot({ path: artefact('issued-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
