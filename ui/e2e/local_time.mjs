// Days and times follow the project's time zone, not the browser's.
//   node local_time.mjs contractor URL PATH BROWSER_ZONE   the contractor page's deadlines as shown
//   node local_time.mjs settings   URL BAD_ZONE GOOD_ZONE   the console's project settings: a refused zone, then a good one
// The browser runs in BROWSER_ZONE (e.g. America/Los_Angeles) so that a page
// formatting in the browser's zone would show other times. Prints one JSON object.
import { launch, signIn } from './browser.mjs';

const [mode, url, a, b] = process.argv.slice(2);
const browser = await launch();
const out = {};
try {
  if (mode === 'contractor') {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', timezoneId: b });
    const page = await context.newPage();
    page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
    await page.goto(url + a);
    await page.waitForSelector('[data-testid="count"]');
    out.browserZone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    out.items = await page.$$eval('[data-testid="item"]', (els) => els.map((e) => ({
      defect: e.dataset.defect, deadline: e.dataset.deadline ? Number(e.dataset.deadline) : null,
      shown: e.querySelector('[data-testid="deadline"]')?.textContent.trim() ?? null,
    })));
  } else if (mode === 'settings') {
    const page = await browser.newPage({ locale: 'en-US', timezoneId: 'UTC' });
    page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
    const id = (t) => page.locator(`[data-testid="${t}"]`);
    await page.goto(url);
    await signIn(page, 'u-cs-wang');
    await id('project-picker').waitFor();
    await id('project-picker').selectOption('hj-lanting');
    await id('nav-projects').click();
    await id('project-settings').waitFor();
    out.zoneBefore = await id('settings-zone').inputValue();
    await id('settings-zone').fill(a);
    await id('settings-save').click();
    await id('settings-error').waitFor({ state: 'visible' });
    out.refusal = (await id('settings-error').textContent()).trim();
    await id('settings-zone').fill(b);
    await id('settings-save').click();
    await page.waitForFunction((z) => document.querySelector('[data-testid="project-row-hj-lanting"] [data-key="zone"]')?.textContent === z, b);
    out.zoneListed = (await page.locator('[data-testid="project-row-hj-lanting"] [data-key="zone"]').textContent()).trim();
    out.zoneAfter = await id('settings-zone').inputValue();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
