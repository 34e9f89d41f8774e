// The contractor's page in a phone-sized Chromium, as a foreman would use it.
//   node contractor.mjs fix     URL PATH PHOTO FIX_DEFECT UNDO_DEFECT
//   node contractor.mjs view    URL PATH
//   node contractor.mjs refused URL PATH
//   node contractor.mjs plan    URL PATH DEFECT   (the floor-plan image and the pin over it)
//   node contractor.mjs lazy    URL PATH   (the overdue summary, dates, photos loaded lazily and in
//                                           parallel, the full photo on tap)
// Prints one JSON object for the Rust test to check.
import { launch, artefact } from './browser.mjs';

const [mode, url, path, photo, fixDefect, undoDefect] = process.argv.slice(2);
const browser = await launch();
const out = {};
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
  // Photo requests as the page makes them; in `lazy` mode each is held a
  // moment, so requests made side by side are seen in flight together.
  const photoRequests = [];
  let inFlight = 0;
  if (mode === 'lazy') {
    out.maxInFlight = 0;
    await page.route('**/api/v1/contractor/photos/*', async (route) => {
      photoRequests.push(route.request().url());
      inFlight++;
      out.maxInFlight = Math.max(out.maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 300));
      inFlight--;
      await route.continue();
    });
  }
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

    if (mode === 'lazy') {
      const hashOf = (u) => new URL(u).pathname.split('/').pop();
      await page.waitForTimeout(1500);
      const imgs = () => page.$$eval('[data-testid="item"] img[data-hash]', (els) => els.map((e) => ({
        hash: e.dataset.hash, size: e.dataset.size, loading: e.getAttribute('loading'),
        top: e.getBoundingClientRect().top + window.scrollY, loaded: e.dataset.loaded === 'true',
      })));
      const first = await imgs();
      out.photos = first.length;
      out.lazy = first.filter((i) => i.loading === 'lazy').length;
      out.listSizes = [...new Set(first.map((i) => i.size))];
      const requested = new Set(photoRequests.map(hashOf));
      out.requestedAtFirst = requested.size;
      // Photos well below the first screen (and its 300 px margin) wait until scrolled to.
      const far = first.filter((i) => i.top > 844 + 600);
      out.far = far.length;
      out.farRequestedAtFirst = far.filter((i) => requested.has(i.hash)).length;
      out.requestSizes = [...new Set(photoRequests.map((u) => new URL(u).searchParams.get('size')))];
      const height = await page.evaluate(() => document.body.scrollHeight);
      for (let y = 0; y < height; y += 400) {
        await page.mouse.wheel(0, 400);
        await page.waitForTimeout(100);
      }
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="item"] img[data-hash]')]
        .every((i) => i.dataset.loaded === 'true'), null, { timeout: 30000 });
      out.requestedAfterScroll = new Set(photoRequests.map(hashOf)).size;
      out.photoRequests = photoRequests.length;
      // The summary and the dates, in both languages.
      const summary = async () => ({
        overdue: Number(await page.innerText('[data-testid="overdue-count"]')),
        dueSoon: Number(await page.innerText('[data-testid="due-soon-count"]')),
        text: await page.innerText('[data-testid="due-summary"]'),
        deadlines: await page.$$eval('[data-testid="item"]', (els) => els.map((e) => ({
          defect: e.dataset.defect, deadline: e.dataset.deadline ? Number(e.dataset.deadline) : null,
          text: e.querySelector('[data-testid="deadline"]').textContent,
        }))),
      });
      out.zh = await summary();
      await page.click('[data-testid="lang"]');
      out.en = await summary();
      await page.click('[data-testid="lang"]');
      // A tap opens the photo full size; the original on request.
      await page.evaluate(() => window.scrollTo(0, 0));
      const firstImg = page.locator('[data-testid="item"] img[data-hash]').first();
      out.smallWidth = await firstImg.evaluate((i) => i.naturalWidth);
      await page.locator('[data-testid="item"] [data-act="view"]').first().click();
      const viewerImg = page.locator('[data-testid="viewer-img"][data-loaded="true"]');
      await viewerImg.waitFor();
      out.viewer = await viewerImg.evaluate((i) => ({ size: i.dataset.size, width: i.naturalWidth, alt: i.alt }));
      await page.click('[data-testid="viewer-original"]');
      await page.locator('[data-testid="viewer-img"][data-size="original"][data-loaded="true"]').waitFor();
      out.original = await page.locator('[data-testid="viewer-img"]').evaluate((i) => ({ width: i.naturalWidth }));
      out.requestSizesAfterTap = [...new Set(photoRequests.map((u) => new URL(u).searchParams.get('size')))];
      await page.screenshot({ path: artefact('contractor-viewer.png') });
      await page.keyboard.press('Escape');
      out.viewerAfterEscape = await page.locator('[data-testid="viewer"]').count();
      await page.screenshot({ path: artefact('contractor-summary.png') });
    }
    if (mode === 'plan') {
      const card = page.locator(`[data-defect="${photo}"]`);
      const img = card.locator('img[data-testid="plan-image"]');
      // Images load as they come near the screen.
      await card.scrollIntoViewIfNeeded();
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
      await card.scrollIntoViewIfNeeded();
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
