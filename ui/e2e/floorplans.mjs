// A floor plan set up in the console, as the CS center would: sign in,
// create a project, import its units, upload a PDF floor plan for unit type
// T1 (the server draws its first page as an image), then draw the rooms'
// outlines on it: a rectangle, a polygon, a rectangle undone, a move with
// the keyboard undone, and save. Prints what it saw as JSON for
// tests/tests/floor_plans.rs.
//
//   node e2e/floorplans.mjs URL UNITS.csv PLAN.pdf
import { launch, artefact, signIn } from './browser.mjs';

const [url, unitsCsv, planPdf] = process.argv.slice(2);
const out = {};
const browser = await launch();
// Tablet width: the console is used on a tablet in the site office too.
const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1024, height: 1366 } });
page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const polygons = () => page.locator('.outline-overlay polygon');
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('nav-projects').click();
  await id('project-id').fill('hj-yayuan');
  await id('project-name-zh').fill('华景·雅苑');
  await id('project-name-en').fill('Yayuan Court');
  await id('project-handover').fill('2026-12-31');
  await id('project-create').click();
  await id('page-units').waitFor();

  await id('units-new-types').check();
  await id('units-file').setInputFiles(unitsCsv);
  await id('units-import').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="units-import"]')?.disabled);
  await id('units-import').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="units-count"]')?.textContent.startsWith('4 units'));

  // The PDF plan: stored as an image, shown in the outline editor.
  await id('nav-unit-types').click();
  await id('floorplan-T1').setInputFiles(planPdf);
  await id('floorplan-link-T1').waitFor();
  out.floorPlan = (await id('floorplan-link-T1').textContent()).trim();
  out.countBefore = (await id('outlines-count-T1').textContent()).trim();
  await id('outlines-open-T1').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="outline-image"]')?.naturalWidth > 0);
  out.imageWidth = await id('outline-image').evaluate((img) => img.naturalWidth);
  out.imageHeight = await id('outline-image').evaluate((img) => img.naturalHeight);
  // Where a point of the plan is on the screen now (clicking a button may
  // have scrolled the page since the last time).
  const at = async (x, y) => {
    const box = await id('outline-image').boundingBox();
    return [box.x + x * box.width, box.y + y * box.height];
  };
  const drag = async (from, to) => {
    await id('outline-image').scrollIntoViewIfNeeded();
    await page.mouse.move(...(await at(...from)));
    await page.mouse.down();
    await page.mouse.move(...(await at(...to)), { steps: 6 });
    await page.mouse.up();
  };

  // Living room: a rectangle.
  await id('outline-room').selectOption('living');
  await id('outline-tool-rect').click();
  await drag([0.05, 0.05], [0.45, 0.55]);
  // Master bedroom: a polygon of three corners, finished with the button.
  await id('outline-room').selectOption('bed1');
  await id('outline-tool-polygon').click();
  await id('outline-finish').click();
  out.tooFewCorners = (await id('outline-error').textContent()).trim();
  await id('outline-image').scrollIntoViewIfNeeded();
  for (const p of [[0.55, 0.05], [0.95, 0.05], [0.75, 0.5]]) await page.mouse.click(...(await at(...p)));
  await id('outline-finish').click();
  // Kitchen: a rectangle, then undone.
  await id('outline-room').selectOption('kitchen');
  await id('outline-tool-rect').click();
  await drag([0.05, 0.6], [0.4, 0.95]);
  out.drawn = await polygons().count();
  await id('outline-undo').click();
  out.afterUndo = await polygons().count();
  // The living room moved with the keyboard, then the move undone.
  await id('outline-room').selectOption('living');
  const livingPoints = () => id('outline-living').getAttribute('points');
  out.livingBefore = await livingPoints();
  await id('outline-surface').focus();
  await page.keyboard.press('ArrowRight');
  out.livingMoved = await livingPoints();
  await page.keyboard.press('Control+z');
  out.livingAfterUndo = await livingPoints();
  out.status = (await id('outline-status').textContent()).trim();
  await page.screenshot({ path: artefact('console-outlines.png'), fullPage: true });

  await id('outline-save').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="outlines-count-T1"]')?.textContent.startsWith('2 of'));
  out.countAfter = (await id('outlines-count-T1').textContent()).trim();
  await id('lang').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="outlines-open-T1"]')?.textContent === '绘制房间轮廓');
  out.countZh = (await id('outlines-count-T1').textContent()).trim();
  await id('lang').click();
} catch (e) {
  await page.screenshot({ path: artefact('console-outlines-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
