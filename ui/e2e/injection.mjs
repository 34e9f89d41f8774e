// Script payloads in every field a tablet or a person can set, shown on
// every page: the contractor's page, the console's pages (dashboard, a
// defect in full, accepted risks, history, issued reports, the setup pages)
// and a shared report. On each page: no script ran (window.__pwned stays
// undefined), no element or handler came from the data, and each payload
// that page shows is there as text. Run in a context that ignores the CSP
// (so escaping is checked on its own) and once more with the CSP on.
// Prints one JSON object for tests/tests/injection.rs.
//
//   node e2e/injection.mjs URL PROJECT CONTRACTOR_PATH SHARE_URL PAYLOADS_JSON
import { launch, artefact } from './browser.mjs';

const [url, project, contractorPath, shareUrl, payloadsJson] = process.argv.slice(2);
const payloads = JSON.parse(payloadsJson);
const out = { pages: {}, cspErrors: [], pageErrors: [] };
const browser = await launch();

/** What the page shows now: script ran? markup from data? which payloads as text? */
async function inspect(page, name) {
  const seen = await page.evaluate((payloads) => {
    const text = document.body.textContent ?? '';
    const values = [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\n');
    const injected = [...document.querySelectorAll('*')].filter((el) =>
      [...el.attributes].some((a) => /^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) ||
      (el.tagName === 'IMG' && el.getAttribute('src') === 'x') || (el.tagName === 'SCRIPT' && !el.src)).map((el) => el.outerHTML.slice(0, 120));
    return {
      pwned: window.__pwned ?? null,
      injected,
      shown: payloads.filter((p) => text.includes(p) || values.includes(p)),
    };
  }, payloads);
  out.pages[name] = seen;
  await page.screenshot({ path: artefact(`injection-${name}.png`), fullPage: true }).catch(() => {});
}

async function session(bypassCSP, label) {
  const context = await browser.newContext({ locale: 'en-US', bypassCSP, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => out.pageErrors.push(`${label}: ${e}`));
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) out.cspErrors.push(`${label}: ${m.text()}`); });
  const id = (t) => page.locator(`[data-testid="${t}"]`);
  const tag = (n) => (bypassCSP ? n : `${n}-csp`);

  // The contractor's page.
  await page.goto(url + contractorPath);
  await id('item').first().waitFor();
  await page.locator('img[data-loaded="true"]').first().waitFor({ timeout: 10_000 }).catch(() => {});
  if (await id('mark-fixed').count()) await id('mark-fixed').first().click();
  await inspect(page, tag('contractor'));

  // The console.
  await page.goto(`${url}/ui/console/`);
  await id('username').fill('u-cs-wang');
  await id('password').fill('demo');
  await id('signin-submit').click();
  await id('project-picker').selectOption(project);
  await id('nav-dashboard').click();
  await id('page-dashboard').waitFor({ timeout: 30_000 });
  await id('chart-categories').waitFor();
  await inspect(page, tag('dashboard'));
  await id('nav-risks').click();
  await id('risk-row').first().waitFor();
  await inspect(page, tag('risks'));
  await id('risk-open').first().click();
  await id('defect').waitFor();
  await page.locator('[data-testid="defect-photo"] img[src]').first().waitFor({ timeout: 10_000 }).catch(() => {});
  await inspect(page, tag('defect'));
  await id('risk-edit').first().click();
  await id('risk-form').first().waitFor();
  await inspect(page, tag('risk-edit'));
  for (const p of ['history', 'issued', 'contractors', 'people', 'unit-types', 'categories', 'standards', 'rounds', 'units', 'projects']) {
    await id(`nav-${p}`).click();
    await id(`page-${p}`).waitFor({ timeout: 30_000 });
    await inspect(page, tag(p));
  }

  // The shared report, without an account.
  const viewer = await context.newPage();
  viewer.on('pageerror', (e) => out.pageErrors.push(`${label} shared: ${e}`));
  await viewer.goto(shareUrl);
  await viewer.locator('[data-testid="shared-meta"]').waitFor();
  await inspect(viewer, tag('shared'));
  await context.close();
}

try {
  await session(true, 'no-csp');
  await session(false, 'csp');
} catch (e) {
  out.failure = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
