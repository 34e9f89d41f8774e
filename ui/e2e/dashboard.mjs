// The CS center reads a round's report in the dashboard, as a person would:
// sign in, choose the project and the round, read the contractors' table,
// click a contractor's "failed twice or more" count and read the defects
// behind it; then switch to Chinese. Prints what it saw as JSON for
// tests/tests/dashboard.rs to check against the server's report.
//
//   node e2e/dashboard.mjs URL PROJECT ROUND
import { launch, artefact, signIn, tableRows } from './browser.mjs';

const [url, project, round] = process.argv.slice(2);
const out = {};
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US' });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const rows = (testid) => tableRows(page, testid);
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await id('nav-dashboard').click();
  await id('page-dashboard').waitFor();
  await id('report-round').selectOption(round);
  await page.waitForFunction((r) => document.querySelector('[data-testid="report-title"]')?.textContent.startsWith(`Round ${r} `), round);
  out.title = (await id('report-title').textContent()).trim();
  out.contractors = await rows('row-contractors');
  out.summary = await rows('row-summary');

  // Drill down from the largest "failed twice or more" count.
  const buttons = id('drill-failed-twice');
  out.drillButtons = await buttons.count();
  let best = 0;
  for (let i = 0; i < out.drillButtons; i++) {
    if (Number(await buttons.nth(i).textContent()) > Number(await buttons.nth(best).textContent())) best = i;
  }
  out.drillContractor = await buttons.nth(best).getAttribute('data-contractor');
  out.drillCount = (await buttons.nth(best).textContent()).trim();
  await buttons.nth(best).click();
  await id('drill-row').first().waitFor();
  out.drillTitle = (await id('drill-title').textContent()).trim();
  out.drillRows = await rows('drill-row');
  await page.screenshot({ path: artefact('dashboard-drill.png'), fullPage: true });

  // In Chinese: the same report, headings in Chinese.
  await id('lang').click();
  await id('page-dashboard').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="report-title"]')?.textContent.startsWith('第'));
  out.titleZh = (await id('report-title').textContent()).trim();
  out.headingsZh = (await page.locator('[data-testid^="table-"] h3').allTextContents()).map((s) => s.trim());
  out.errors = await page.locator('[data-testid="error"]:visible').count();
} catch (e) {
  await page.screenshot({ path: artefact('dashboard-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
