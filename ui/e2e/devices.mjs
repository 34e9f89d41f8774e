// Which device did what, as the CS center sees it: a defect's history (from
// the dashboard's drill-down) with each entry's device or "server", and the
// device list on the People page, in English and in Chinese, each under
// axe-core. Prints JSON for tests/tests/devices.rs.
//
//   node e2e/devices.mjs URL PROJECT
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, artefact, signIn } from './browser.mjs';

// axe-core and our own checks (as e2e/a11y.mjs runs them), on the defect and the device list.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AUDIT = readFileSync(new URL('./a11y-audit.js', import.meta.url), 'utf8');
async function audit(page) {
  if (!(await page.evaluate(() => typeof window.walkthroughA11yAudit === 'function'))) {
    await page.evaluate(AXE);
    await page.evaluate(AUDIT);
  }
  return page.evaluate(() => window.walkthroughA11yAudit());
}

const [url, project] = process.argv.slice(2);
const out = { audits: {} };
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1280, height: 1000 } });
page.on('pageerror', (e) => { out.pageErrors = [...(out.pageErrors ?? []), String(e)]; });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const lang = () => page.evaluate(() => document.documentElement.lang || 'en');

async function read(l) {
  if (!(await lang()).startsWith(l)) { await id('lang').click(); await page.waitForFunction((x) => document.documentElement.lang.startsWith(x), l); }
  await id('nav-dashboard').click();
  await id('page-dashboard').waitFor();
  await id('report-round').selectOption('cumulative');
  await id('drill-unit').first().click();
  await id('open-defect').first().click();
  await id('defect-history').waitFor();
  const history = await page.locator('[data-testid="defect-history"] [data-testid="history-row"]').evaluateAll((trs) => trs.map((tr) => ({
    type: tr.dataset.type,
    who: tr.querySelector('td[data-key="who"]')?.textContent.trim() ?? null,
    device: tr.querySelector('[data-testid="history-device"]')?.textContent.trim() ?? null,
  })));
  await page.locator('[data-testid="defect-history"]').screenshot({ path: artefact(`console-defect-devices-${l}.png`) });
  out.audits[`defect.${await lang()}`] = await audit(page);
  await id('nav-people').click();
  await id('devices').waitFor();
  const devices = await page.locator('[data-testid="device-row"]').evaluateAll((trs) => trs.map((tr) => ({
    actor: tr.dataset.actor,
    label: tr.querySelector('[data-testid="device-label"]').textContent.trim(),
    user: tr.querySelector('[data-testid="device-user"]').textContent.trim(),
  })));
  await id('devices').screenshot({ path: artefact(`console-devices-${l}.png`) });
  out.audits[`people.${await lang()}`] = await audit(page);
  return { history, devices };
}

try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  out.en = await read('en');
  out.zh = await read('zh');
} catch (e) {
  await page.screenshot({ path: artefact('console-devices-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
