// The CS center sets up a project in the console, as a person would:
// sign in, switch language, create a project, import a unit list (a bad
// file first: mapping, preview, row errors; then a good one), edit a
// checklist item, invite an inspector, plan round 1. Prints what it saw as
// JSON for tests/tests/console.rs to check against the server and a tablet.
//
//   node e2e/console.mjs URL BAD.csv GOOD.csv FLOORPLAN.jpg
import { launch, artefact } from './browser.mjs';

const [url, badCsv, goodCsv, floorPlan] = process.argv.slice(2);
const out = {};
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US' });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const texts = async (t) => (await id(t).allTextContents()).map((s) => s.trim());
try {
  await page.goto(url);
  out.path = new URL(page.url()).pathname;
  await id('username').fill('u-cs-wang');
  await id('password').fill('wrong');
  await id('signin-submit').click();
  await id('signin-error').waitFor();
  out.wrongPassword = (await id('signin-error').textContent()).trim();
  await id('password').fill('demo');
  await id('signin-submit').click();
  await id('nav-projects').waitFor();

  // Both languages.
  out.navEn = (await id('nav-projects').textContent()).trim();
  await id('lang').click();
  out.navZh = (await id('nav-projects').textContent()).trim();
  await id('lang').click();

  // A new project. (The page may render again when the project list or the
  // language switch settles: wait for that, then check the id stuck.)
  await id('nav-projects').click();
  await page.waitForLoadState('networkidle');
  for (let i = 0; i < 5 && (await id('project-id').inputValue()) !== 'hj-xiyuan'; i++) {
    await id('project-id').fill('hj-xiyuan');
    await page.waitForTimeout(100);
  }
  await id('project-name-zh').fill('华景·熙园');
  await id('project-name-en').fill('Xiyuan Gardens');
  await id('project-handover').fill('2026-12-31');
  await id('project-create').click();
  await id('page-units').waitFor();

  // A unit list whose headers need mapping, with bad rows.
  await id('units-new-types').check();
  await id('units-file').setInputFiles(badCsv);
  await id('units-error').first().waitFor();
  out.headerError = await texts('units-error');
  await id('map-floor').selectOption('层位');
  await id('map-number').selectOption('房屋号码');
  await id('map-unit_type').selectOption('户型类别');
  await id('units-preview-button').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="units-error"]')?.textContent.startsWith('Row 1'));
  out.rowErrors = await texts('units-error');
  out.importDisabledWithErrors = await id('units-import').isDisabled();
  // The good file, same columns: the mapping stays.
  await id('units-file').setInputFiles(goodCsv);
  await page.waitForFunction(() => !document.querySelector('[data-testid="units-error"]'));
  out.preview = (await id('units-summary').textContent()).trim();
  out.previewRows = await id('units-preview-row').count();
  await id('units-import').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="units-count"]')?.textContent.startsWith('6 units'));
  out.unitsCount = (await id('units-count').textContent()).trim();

  // Edit a checklist item's standard.
  await id('nav-standards').click();
  await id('item-edit-ENT-01').click();
  await id('item-standard-en').fill('Entry door: no scratch longer than 5 mm under raking light');
  await id('item-standard-zh').fill('入户门：强光侧照下无长于5毫米的划痕');
  await id('item-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="item-ENT-01"]')?.textContent.includes('5 mm'));
  out.itemRow = (await id('item-ENT-01').textContent()).trim();

  // Invite an inspector.
  await id('nav-people').click();
  await id('inv-username').fill('u-insp-xu');
  await id('inv-name').fill('徐静');
  await id('inv-role').selectOption('inspector');
  await id('inv-org').fill('物业公司');
  await id('invite').click();
  await id('temp-password').waitFor();
  out.password = (await id('temp-password').textContent()).trim();
  out.peopleStatus = (await id('status-u-insp-xu').textContent()).trim();

  // Plan round 1: building X1 and one unit of X2.
  await id('nav-rounds').click();
  await id('round-start').fill('2026-09-01');
  await id('round-due').fill('2026-09-30');
  await id('round-notes').fill('第一轮全面查验 / Round 1, full inspection');
  await id('plan-u-insp-xu-X1').check();
  await id('plan-u-insp-xu-units').fill('X2-0102');
  await id('round-save').click();
  await id('round-tab-2').waitFor();
  out.rounds = (await id('rounds').textContent()).trim();

  // A floor plan for unit type T1.
  await id('nav-unit-types').click();
  await id('floorplan-T1').setInputFiles(floorPlan);
  await id('floorplan-link-T1').waitFor();
  out.floorPlan = (await id('floorplan-link-T1').textContent()).trim();

  // Every page opens without an error, in Chinese too.
  await id('lang').click();
  out.pagesZh = {};
  for (const p of ['projects', 'units', 'unit-types', 'standards', 'categories', 'contractors', 'people', 'rounds']) {
    await id(`nav-${p}`).click();
    await id(`page-${p}`).waitFor();
    out.pagesZh[p] = { heading: (await page.locator('main h2').first().textContent()).trim(), errors: await page.locator('[data-testid="error"]:visible').count() };
  }
  await id('lang').click();

  await id('nav-history').click();
  await id('history-row').first().waitFor();
  out.history = await texts('history-row');
  await page.screenshot({ path: artefact('console-history.png'), fullPage: true });
} catch (e) {
  await page.screenshot({ path: artefact('console-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
