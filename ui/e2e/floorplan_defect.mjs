// The CS center opens a defect from the dashboard (a unit's open count in
// the cumulative report) and sees its floor plan: the uploaded image with
// the pin over it. Prints what it saw as JSON for tests/tests/floor_plans.rs.
//
//   node e2e/floorplan_defect.mjs URL PROJECT
import { launch, artefact, signIn } from './browser.mjs';

const [url, project] = process.argv.slice(2);
const out = {};
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1024, height: 1366 } });
page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
const id = (t) => page.locator(`[data-testid="${t}"]`);
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await id('nav-dashboard').click();
  await id('page-dashboard').waitFor();
  await id('report-round').selectOption('cumulative');
  await id('drill-unit').first().click();
  await id('open-defect').first().click();
  const img = page.locator('[data-testid="defect-plan"] img[data-testid="plan-image"]');
  await img.waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="defect-plan"] img')?.naturalWidth > 0);
  out.planWidth = await img.evaluate((i) => i.naturalWidth);
  const box = await img.boundingBox();
  const pin = await page.locator('[data-testid="defect-plan"] [data-testid="pin"]').evaluate((e) => { const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
  out.pin = { x: (pin.x - box.x) / box.width, y: (pin.y - box.y) / box.height };
  await page.locator('[data-testid="defect-plan"]').screenshot({ path: artefact('console-defect-plan.png') });
} catch (e) {
  await page.screenshot({ path: artefact('console-defect-plan-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
