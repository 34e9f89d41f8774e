// Accessibility of the web front ends, as axe-core (injected into the real
// pages) and a keyboard-only person see them. For tests/tests/a11y.rs.
//
//   node e2e/a11y.mjs console    URL PROJECT   every console page, en and zh-CN
//   node e2e/a11y.mjs keyboard   URL PROJECT   sign in, open a page, open and close a defect: keys only
//   node e2e/a11y.mjs contractor URL PATH      the contractor's page, zh-CN and en
//
// Prints one JSON object: per page and language the axe violations (rule,
// elements), the photos' alt texts, SVGs without a name; for the keyboard
// run what had focus after each step.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, artefact, signIn } from './browser.mjs';

const here = (name) => new URL(name, import.meta.url);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AUDIT = readFileSync(here('./a11y-audit.js'), 'utf8');

/** axe's violations on the page as it is now, plus the checks axe cannot make (e2e/a11y-audit.js). */
export async function audit(page) {
  if (!(await page.evaluate(() => typeof window.walkthroughA11yAudit === 'function'))) {
    await page.evaluate(AXE);
    await page.evaluate(AUDIT);
  }
  return page.evaluate(() => window.walkthroughA11yAudit());
}

const id = (page, t) => page.locator(`[data-testid="${t}"]`);

/** Every console page the CS admin has, in `lang`'s order: the sign-in, each nav page, a defect opened from the dashboard. */
async function consolePages(page, project, lang, out) {
  for (const nav of await page.$$eval('nav a[data-testid^="nav-"]', (as) => as.map((a) => a.dataset.testid.slice(4)))) {
    await id(page, `nav-${nav}`).click();
    await id(page, `page-${nav}`).waitFor();
    await page.waitForLoadState('networkidle');
    if (nav === 'dashboard') {
      // A defect in full, opened from a drill-down, with its photos loaded.
      await id(page, 'drill-open').first().click();
      await id(page, 'open-defect').first().click();
      await id(page, 'defect').waitFor();
      await page.waitForLoadState('networkidle');
      out[`defect.${lang}`] = await audit(page);
    } else {
      out[`${nav}.${lang}`] = await audit(page);
    }
  }
}

/** A page in a fresh browser: `body(page, out)` fills `out`; a failure is reported in it with a screenshot. */
async function session(name, contextOptions, body) {
  const out = {};
  const browser = await launch();
  const page = await (await browser.newContext(contextOptions)).newPage();
  page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
  try {
    await body(page, out);
  } catch (e) {
    await page.screenshot({ path: artefact(`a11y-${name}-failure.png`), fullPage: true }).catch(() => {});
    out.failure = String(e);
  } finally {
    await browser.close();
  }
  return out;
}

const consoleRun = (url, project) => session('console', { locale: 'en-US' }, async (page, out) => {
  await page.goto(url);
  await id(page, 'signin').waitFor();
  out['signin.en'] = await audit(page);
  await id(page, 'lang').click();
  out['signin.zh-CN'] = await audit(page);
  await id(page, 'lang').click();
  await signIn(page, 'u-cs-wang');
  await id(page, 'project-picker').selectOption(project);
  await id(page, 'page').waitFor();
  await consolePages(page, project, 'en', out);
  await id(page, 'lang').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await consolePages(page, project, 'zh-CN', out);
});

/** What has focus: its test id (or tag and text), and whether a focus outline shows. */
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { testid: null };
  const s = getComputedStyle(el);
  return {
    testid: el.dataset.testid ?? null, tag: el.tagName.toLowerCase(), text: (el.textContent ?? '').trim().slice(0, 40),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
  };
});

/** Press Tab until the element with test id `testid` has focus: what has focus and how many presses it took. */
async function tabTo(page, testid, limit = 400) {
  for (let i = 1; i <= limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.testid === testid) return { ...f, tabs: i };
  }
  throw new Error(`${testid} not reached with ${limit} presses of Tab`);
}

const keyboardRun = (url, project) => session('keyboard', { locale: 'en-US' }, async (page, out) => {
  out.steps = {};
  const step = (name, v) => { out.steps[name] = v; };
  await page.goto(url);
  await id(page, 'signin').waitFor();
  step('username', await tabTo(page, 'username'));
  await page.keyboard.type('u-cs-wang');
  step('password', await tabTo(page, 'password'));
  await page.keyboard.type('demo');
  await page.keyboard.press('Enter');
  await id(page, 'project-picker').waitFor();
  // The first stop on every signed-in page: the skip link.
  await page.keyboard.press('Tab');
  step('skip', await focused(page));
  // Choose the project with the arrow keys (a closed select changes on ArrowDown).
  step('picker', await tabTo(page, 'project-picker'));
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((p) => document.querySelector('[data-testid="project-picker"]')?.value === p, project);
  await page.waitForLoadState('networkidle');
  step('afterPick', await focused(page));
  step('nav', await tabTo(page, 'nav-dashboard'));
  await page.keyboard.press('Enter');
  await id(page, 'page-dashboard').waitFor();
  await page.waitForLoadState('networkidle');
  // The page opened takes focus; back up to the skip link, which takes focus to the page again.
  step('afterNav', await focused(page));
  await page.keyboard.press('Shift+Tab');
  let back = 0;
  while ((await focused(page)).testid !== 'skip-link' && back++ < 60) await page.keyboard.press('Shift+Tab');
  step('skipAgain', await focused(page));
  await page.keyboard.press('Enter');
  step('afterSkip', await focused(page));
  step('drill', await tabTo(page, 'drill-open'));
  await page.keyboard.press('Enter');
  await id(page, 'drill').waitFor();
  step('openDefect', await tabTo(page, 'open-defect'));
  const opener = await page.evaluate(() => document.activeElement.closest('tr')?.dataset.defect ?? null);
  await page.keyboard.press('Enter');
  await id(page, 'defect').waitFor();
  await page.waitForFunction(() => document.activeElement?.closest('[data-testid="defect"]'));
  step('inDefect', { ...(await focused(page)), defect: await page.getAttribute('[data-testid="defect"]', 'data-defect'), opener });
  await page.keyboard.press('Escape');
  await id(page, 'defect').waitFor({ state: 'detached' });
  step('afterEscape', { ...(await focused(page)), row: await page.evaluate(() => document.activeElement.closest('tr')?.dataset.defect ?? null) });
});

// A phone, as a foreman opens the link.
const contractorRun = (url, path) => session('contractor', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' }, async (page, out) => {
  await page.goto(url + path);
  await id(page, 'count').waitFor();
  await page.waitForLoadState('networkidle');
  out['contractor.zh-CN'] = await audit(page);
  // The fix form open, as a foreman fills it in.
  await id(page, 'mark-fixed').first().click();
  out['contractor-form.zh-CN'] = await audit(page);
  await id(page, 'lang').click();
  await id(page, 'count').waitFor();
  await page.waitForLoadState('networkidle');
  out['contractor.en'] = await audit(page);
});

const [mode, url, arg] = process.argv.slice(2);
const run = { console: consoleRun, keyboard: keyboardRun, contractor: contractorRun }[mode];
if (!run) throw new Error(`unknown mode ${mode}: console, keyboard or contractor`);
console.log(JSON.stringify(await run(url, arg)));
