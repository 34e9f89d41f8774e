// The contractor's page in a phone-sized Chromium, as a foreman would use it.
//   node contractor.mjs fix     URL PATH PHOTO FIX_DEFECT UNDO_DEFECT
//   node contractor.mjs view    URL PATH
//   node contractor.mjs refused URL PATH
//   node contractor.mjs plan    URL PATH DEFECT   (the floor-plan image and the pin over it)
// Prints one JSON object for the Rust test to check.
import { launch, artefact } from './browser.mjs';

const [mode, url, path, photo, fixDefect, undoDefect] = process.argv.slice(2);
const browser = await launch();
const out = {};
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
  await page.goto(url + path);

  if (mode === 'refused') {
    await page.waitForSelector('[data-testid="refused"]');
    out.refused = true;
    out.text = await page.innerText('body');
    out.items = await page.locator('[data-testid="item"]').count();
    await page.screenshot({ path: artefact('contractor-refused.png') });
  } else {
    await page.waitForSelector('[data-testid="count"]');
    const items = async () => page.$$eval('[data-testid="item"]', (els) => els.map((e) => ({
      defect: e.dataset.defect, status: e.dataset.status, deadline: e.dataset.deadline ? Number(e.dataset.deadline) : null,
      overdue: e.classList.contains('overdue'),
      attempt: e.querySelector('[data-testid="attempt"]')?.textContent ?? null,
    })));
    out.items = await items();
    out.contractor = await page.innerText('[data-testid="contractor"]');
    out.titleZh = await page.innerText('[data-testid="project"]');
    await page.click('[data-testid="lang"]');
    out.titleEn = await page.innerText('[data-testid="project"]');
    out.statusEn = await page.locator('[data-testid="status"]').first().innerText();
    await page.click('[data-testid="lang"]');

    if (mode === 'plan') {
      const card = page.locator(`[data-defect="${photo}"]`);
      const img = card.locator('img[data-testid="plan-image"]');
      await card.locator('img[data-testid="plan-image"][data-loaded="true"]').waitFor();
      await page.waitForFunction((d) => document.querySelector(`[data-defect="${d}"] img[data-testid="plan-image"]`)?.naturalWidth > 0, photo);
      out.planWidth = await img.evaluate((i) => i.naturalWidth);
      const box = await img.boundingBox();
      // (A zero-length, round-capped line: its box is a point.)
      const pin = await card.locator('[data-testid="pin"]').evaluate((e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
      out.pin = { x: (pin.x + pin.width / 2 - box.x) / box.width, y: (pin.y + pin.height / 2 - box.y) / box.height };
      out.rooms = await card.locator('[data-testid="plan"] polygon').count();
      await card.screenshot({ path: artefact('contractor-plan.png') });
    }
    if (mode === 'fix') {
      const card = page.locator(`[data-defect="${fixDefect}"]`);
      await card.locator('img[data-loaded="true"]').first().waitFor();
      out.photoWidth = await card.locator('img').first().evaluate((img) => img.naturalWidth);
      out.marks = Number(await card.locator('[data-testid="marks"]').first().getAttribute('data-count'));
      out.pin = await card.locator('[data-testid="pin"]').count();
      // Filters: every item is in building B1, none is reported fixed yet.
      const count = () => page.locator('[data-testid="item"]').count();
      out.buildingOptions = await page.$$eval('[data-testid="filter-building"] option', (os) => os.map((o) => o.value));
      await page.selectOption('[data-testid="filter-status"]', 'closed');
      out.closed = await count();
      await page.selectOption('[data-testid="filter-status"]', 'all');
      await page.selectOption('[data-testid="filter-building"]', 'B1');
      out.inB1 = await count();
      await page.selectOption('[data-testid="filter-building"]', '');
      await page.selectOption('[data-testid="filter-status"]', 'reported_fixed');
      out.reportedBefore = await count();
      await page.selectOption('[data-testid="filter-status"]', 'all');
      await page.selectOption('[data-testid="filter-round"]', '1');
      out.inRound1 = await count();
      await page.selectOption('[data-testid="filter-round"]', '0');

      // A report without a note is refused on the page.
      await card.locator('[data-testid="mark-fixed"]').click();
      await card.locator('[data-testid="fix-submit"]').click();
      out.emptyNoteError = await card.locator('[data-testid="fix-error"]').innerText();

      const report = async (defect, note) => {
        const c = page.locator(`[data-defect="${defect}"]`);
        if (await c.locator('[data-testid="fix-form"]').isHidden()) await c.locator('[data-testid="mark-fixed"]').click();
        await c.locator('[data-testid="fix-note-input"]').fill(note);
        await c.locator('[data-testid="fix-photo"]').setInputFiles(photo);
        await c.locator('[data-testid="fix-submit"]').click();
        await page.waitForSelector(`[data-defect="${defect}"][data-status="reported_fixed"]`);
      };
      await report(fixDefect, '地漏重新密封，闭水试验24小时合格');
      out.fixNote = await page.locator(`[data-defect="${fixDefect}"] [data-testid="fix-note"]`).innerText();
      out.undoOffered = await page.locator(`[data-defect="${fixDefect}"] [data-testid="undo"]`).count();
      // Reported by mistake, then undone.
      await report(undoDefect, '误报');
      await page.locator(`[data-defect="${undoDefect}"] [data-testid="undo"]`).click();
      await page.waitForSelector(`[data-defect="${undoDefect}"][data-status="assigned"]`);
      await page.selectOption('[data-testid="filter-status"]', 'reported_fixed');
      out.reportedAfter = await page.$$eval('[data-testid="item"]', (els) => els.map((e) => e.dataset.defect));
      await page.selectOption('[data-testid="filter-status"]', 'all');
      await page.screenshot({ path: artefact('contractor-page.png'), fullPage: true });

      // The printable sheet.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="sheet"]')]);
      out.sheet = artefact('rectification-sheet.pdf');
      await download.saveAs(out.sheet);
      out.itemsAfter = await items();
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
