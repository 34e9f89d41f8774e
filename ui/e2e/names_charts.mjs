// The CS center reads the dashboard, the history, the accepted risks, the
// issued reports, a drill-down and a defect's history in English and in
// Chinese, at desktop and tablet widths, as a person would. For each view
// the script records: any id of the project shown bare (not marked as
// unknown), every chart label whose measured box leaves the space it was
// given or the chart, labels cut with "…", and whether the page overflows
// sideways. Screenshots of each view go to the artefacts folder. Prints
// JSON for tests/tests/names_charts.rs.
//
//   node e2e/names_charts.mjs URL PROJECT IDS(comma-separated) DEFECT
import { launch, artefact, signIn } from './browser.mjs';

const [url, project, idList, defect] = process.argv.slice(2);
const ids = idList.split(',').filter(Boolean);
const out = { views: [], historyText: {} };
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
const id = (t) => page.locator(`[data-testid="${t}"]`);

/**
 * Ids shown bare: in any text of the page outside an element marked unknown, not followed by the unknown marker.
 * Room codes that are plain English words ("kitchen", "living") are looked for on the Chinese pages only, where
 * no English word belongs; on the English ones they are words ("Fitted kitchen").
 */
async function bareIds() {
  const english = (await lang()) === 'en';
  const wanted = ids.filter((x) => !(english && /^[a-z]+$/.test(x) && x !== 'cs' && x !== 'dispatch'));
  return page.evaluate((ids) => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement?.closest('.unknown-id, script, style')) continue;
      const text = n.textContent.replace(/(\S+) \(unknown\)|(\S+)（未登记）/g, ' ');
      for (const x of ids) {
        const re = new RegExp(`(^|[^\\w:-])${esc(x)}(?![\\w-])`);
        const m = re.exec(text);
        if (m) found.push({ id: x, text: text.slice(Math.max(0, m.index - 30), m.index + x.length + 30) });
      }
    }
    return found;
  }, wanted);
}

/** Every chart text measured against its box (data-box "x0 x1") and the chart's viewBox. */
async function chartLabels() {
  return page.evaluate(() => {
    const clipped = [], cut = [];
    let count = 0;
    for (const svg of document.querySelectorAll('svg.chart')) {
      const vb = svg.viewBox.baseVal;
      for (const t of svg.querySelectorAll('text')) {
        count++;
        const b = t.getBBox();
        const [x0, x1] = (t.dataset.box ?? `0 ${vb.width}`).split(' ').map(Number);
        const full = t.textContent;
        if (b.x < Math.max(0, x0) - 0.5 || b.x + b.width > Math.min(vb.width, x1) + 0.5 || b.y < -0.5 || b.y + b.height > vb.height + 0.5) {
          clipped.push({ chart: svg.dataset.testid, text: full, box: [x0, x1], bbox: [b.x, b.y, b.width, b.height], view: [vb.width, vb.height] });
        }
        const title = t.closest('g')?.querySelector('title')?.textContent ?? '';
        if (full.trim().endsWith('…') && !title.includes(full.trim().slice(0, -1))) cut.push(full);
      }
    }
    return { count, clipped, cut };
  });
}

async function overflow() {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

async function lang() {
  return page.evaluate(() => document.documentElement.lang || 'en');
}

async function openPage(pageId) {
  await id(`nav-${pageId}`).click();
  await id(`page-${pageId}`).waitFor();
}

async function dashboard(name) {
  await openPage('dashboard');
  await id('report-round').selectOption('cumulative');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="week-point"]').length > 0);
  await page.waitForTimeout(200);
  const view = { name, bareIds: await bareIds(), labels: await chartLabels(), overflow: await overflow() };
  // The main navigation is usable: every link inside the window.
  view.navOutside = await page.locator('nav a').evaluateAll((as) => as.filter((a) => a.getBoundingClientRect().right > window.innerWidth + 1).map((a) => a.textContent));
  if (view.navOutside.length) view.overflow.scrollWidth = Math.max(view.overflow.scrollWidth, 99999);
  await page.screenshot({ path: artefact(`names-${name}.png`), fullPage: true });
  out.views.push(view);
}

async function simple(pageId, name) {
  await openPage(pageId);
  await page.waitForTimeout(200);
  out.views.push({ name, bareIds: await bareIds(), overflow: await overflow() });
  await page.screenshot({ path: artefact(`names-${name}.png`), fullPage: true });
}

try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  for (const l of ['en', 'zh-CN']) {
    if ((await lang()) !== l) { await id('lang').click(); await page.waitForTimeout(300); }
    await page.setViewportSize({ width: 1280, height: 900 });
    await dashboard(`dashboard-1280-${l}`);
    if (l === 'en') {
      out.weeks = await page.locator('[data-testid="week-point"]').evaluateAll((gs) => gs.map((g) => ({ ...g.dataset })));
      const values = (sel) => page.locator(`${sel} [data-testid="bar"]`).evaluateAll((gs) => gs.map((g) => g.dataset.value));
      out.categoryBars = await values('[data-testid="chart-categories"]');
      out.contractorBars = await values('[data-testid="chart-contractors"]');
      out.sections = await id('section-link').count();
      // The last section link brings its section to the top of the window.
      await id('section-link').last().click();
      await page.waitForTimeout(300);
      const target = await id('section-link').last().getAttribute('data-target');
      out.sectionTop = await page.evaluate((t) => Math.round(document.getElementById(t).getBoundingClientRect().top), target);
      // A drill-down: names of units, rooms and contractors.
      await id('drill-open').first().click();
      await id('drill-row').first().waitFor();
      out.views.push({ name: `drill-${l}`, bareIds: await bareIds() });
      await page.screenshot({ path: artefact(`names-drill-${l}.png`), fullPage: true });
    }
    const [download] = await Promise.all([page.waitForEvent('download'), id('download-csv').click()]);
    out[l === 'en' ? 'downloadName' : 'downloadNameZh'] = download.suggestedFilename();

    await page.setViewportSize({ width: 768, height: 1024 });
    await dashboard(`dashboard-768-${l}`);
    if (l === 'en') { await page.setViewportSize({ width: 1024, height: 768 }); await dashboard('dashboard-1024x768-en'); }
    else { await dashboard('dashboard-768x1024-zh-CN'); }

    await page.setViewportSize({ width: 1280, height: 900 });
    await simple('history', `history-${l}`);
    out.historyText[l] = await id('history').innerText();
    await page.setViewportSize({ width: 768, height: 1024 });
    await simple('history', `history-768-${l}`);
    await page.setViewportSize({ width: 1280, height: 900 });
    await simple('risks', `risks-${l}`);
    out.unknownMarked = await page.locator('[data-testid="risks"] .unknown-id').count();
    // The defect's history: contractors and the simulation's authors named or marked.
    await page.locator(`[data-testid="risk-row"][data-defect="${defect}"] [data-testid="risk-open"]`).click();
    await id('defect-history').waitFor();
    out.views.push({ name: `defect-${l}`, bareIds: await bareIds() });
    await page.screenshot({ path: artefact(`names-defect-${l}.png`), fullPage: true });
    await simple('issued', `issued-${l}`);
    out.issuedBy = await page.locator('[data-testid="issued-row"] td[data-key="by"]').first().innerText();
  }
} catch (e) {
  await page.screenshot({ path: artefact('names-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
