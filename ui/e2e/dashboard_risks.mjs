// The CS center works from the dashboard as a person would: reads the
// figures to date, the progress against the round plans and the charts;
// drills from a contractor's overdue count and from a unit's open count to its defects, opens one (its marked
// photo and history), accepts it as a risk with a Chinese answer and a plan;
// finds it in the accepted risks and edits its plan there; reads the company page and opens the
// project from it; switches to Chinese. Then an inspector is refused.
// Prints what it saw as JSON for tests/tests/dashboard.rs to compare with
// the server's API.
//
//   node e2e/dashboard_risks.mjs URL PROJECT UNIT DEFECT
import { launch, artefact, signIn, tableRows } from './browser.mjs';

const [url, project, unit, defect] = process.argv.slice(2);
const out = {};
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US' });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const rows = (testid) => tableRows(page, testid);
const data = (selector) => page.locator(selector).evaluateAll((els) => els.map((e) => ({ ...e.dataset, title: e.querySelector('title')?.textContent ?? '' })));
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await id('nav-dashboard').click();
  await id('page-dashboard').waitFor();
  await id('report-round').selectOption('cumulative');
  await page.waitForFunction(() => document.querySelector('[data-testid="report-title"]')?.textContent.startsWith('Cumulative'));

  out.kpis = await data('[data-testid="kpi"]');
  out.handoverDays = await id('handover-days').getAttribute('data-days');
  out.handoverText = (await id('handover-days').textContent()).trim();
  out.progress = await rows('progress-row');
  out.categoryBars = await data('[data-testid="chart-categories"] [data-testid="bar"]');
  out.contractorBars = await data('[data-testid="chart-contractors"] [data-testid="bar"]');
  out.trend = await data('[data-testid="trend-point"]');
  out.categories = await rows('row-categories');
  out.contractors = await rows('row-contractors');
  out.openButtons = await id('drill-open').count();
  out.overdueButtons = await id('drill-overdue').count();

  // A contractor's overdue count → the overdue defects behind it.
  const overdue = id('drill-overdue').first();
  out.overdueContractor = await overdue.getAttribute('data-contractor');
  out.overdueCount = (await overdue.textContent()).trim();
  await overdue.click();
  await page.waitForFunction(() => document.querySelector('[data-testid="drill-title"]')?.textContent.includes('overdue'));
  out.overdueTitle = (await id('drill-title').textContent()).trim();
  out.overdueDrill = await rows('drill-row');

  // A unit's open count → its open defects → the defect in full.
  await page.locator(`[data-testid="drill-unit"][data-unit="${unit}"]`).click();
  await page.waitForFunction((u) => {
    const rows = [...document.querySelectorAll('[data-testid="drill-row"]')];
    return document.querySelector('[data-testid="drill-title"]')?.textContent.startsWith('Unit ') && rows.length > 0 && rows.every((r) => r.dataset.unit === u);
  }, unit);
  out.unitDrillTitle = (await id('drill-title').textContent()).trim();
  out.unitDrill = await rows('drill-row');
  await page.locator(`[data-testid="drill-row"][data-defect="${defect}"] [data-testid="open-defect"]`).click();
  await id('defect').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="defect-photo"] img')].every((i) => i.complete && i.naturalWidth > 0));
  out.defectShown = await id('defect').getAttribute('data-defect');
  out.photos = await id('defect-photo').count();
  out.photoWidth = await page.locator('[data-testid="defect-photo"] img').first().evaluate((i) => i.naturalWidth);
  out.markShapes = await page.locator('[data-testid="defect-photo"] svg[data-testid="marks"] > :is(ellipse, line, text)').count();
  out.history = await page.locator('[data-testid="history-row"]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')));
  await page.screenshot({ path: artefact('dashboard-defect.png'), fullPage: true });

  // Refused in words first (no plan), then accepted.
  await id('risk-answer-zh').fill('此处为结构梁，无法调整；交付资料中已说明。');
  await id('risk-submit').click();
  await id('risk-error').waitFor();
  out.riskError = (await id('risk-error').textContent()).trim();
  await id('risk-plan').fill('交付时由工程师现场解释并提供图纸');
  await id('risk-submit').click();
  await id('risk-current').waitFor();
  out.riskShown = (await id('risk-answer').textContent()).trim();
  out.statusAfter = await id('defect').getAttribute('data-status');

  // The accepted risks page.
  await id('nav-risks').click();
  await id('page-risks').waitFor();
  out.risks = await rows('risk-row');
  // Edit its plan there: the latest decision is the answer everyone reads.
  await page.locator(`[data-testid="risk-row"][data-defect="${defect}"] [data-testid="risk-edit"]`).click();
  await id('risk-plan').fill('提供免费吊顶改造方案');
  await id('risk-submit').click();
  await page.waitForFunction((d) => document.querySelector(`[data-testid="risk-row"][data-defect="${d}"] [data-key="plan"]`)?.textContent === '提供免费吊顶改造方案', defect);
  out.risksEdited = await rows('risk-row');

  // The company page, then the project's dashboard from it.
  await id('nav-company').click();
  await id('page-company').waitFor();
  out.company = await rows('company-row');
  await id('lang').click();
  await id('page-company').waitFor();
  out.companyTitleZh = (await id('company-title').textContent()).trim();
  out.companyHeadersZh = (await page.locator('[data-testid="company"] th').allTextContents()).map((s) => s.trim());
  await page.locator(`[data-testid="company-row"][data-project="${project}"] [data-testid="company-open"]`).click();
  await id('page-dashboard').waitFor();
  out.dashboardHeadingsZh = (await page.locator('[data-testid="page-dashboard"] h3, [data-testid="page-dashboard"] h4').allTextContents()).map((s) => s.trim());
  await page.screenshot({ path: artefact('dashboard-charts.png'), fullPage: true });
  out.errors = await page.locator('[data-testid="error"]:visible').count();

  // An inspector cannot use any of it.
  await id('signout').click();
  await signIn(page, 'u-insp-li');
  await id('error').waitFor();
  out.inspectorRefused = (await id('error').textContent()).trim();
} catch (e) {
  await page.screenshot({ path: artefact('dashboard-risks-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
