// The CS center invites an engineer of the project department in the
// console; the engineer signs in with the temporary password, sets their
// own, and reads the console as a person would: sees only the pages an
// engineer may open, reads the
// dashboard (drills down and opens a defect), the accepted risks (opens
// one) and the issued reports. On every page it lists the controls there
// are (buttons, form fields, forms) for tests/tests/engineer.rs to check
// that none of them writes.
//
//   node e2e/engineer.mjs URL PROJECT USERNAME NEW_PASSWORD
import { launch, artefact, signIn } from './browser.mjs';

const [url, project, username, password] = process.argv.slice(2);
const out = { controls: {} };
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US' });
const id = (t) => page.locator(`[data-testid="${t}"]`);
/** Every control in the page's main part: buttons by testid, fields and forms. */
const controls = (name) => page.locator('main').evaluate((main) => ({
  buttons: [...main.querySelectorAll('button')].map((b) => b.getAttribute('data-testid') ?? b.textContent.trim()),
  fields: [...main.querySelectorAll('input:not([readonly]), textarea, select')].map((f) => f.getAttribute('data-testid') ?? f.tagName),
  forms: main.querySelectorAll('form').length,
})).then((c) => { out.controls[name] = c; });
try {
  await page.goto(url);
  // The CS center creates the account on the People page.
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await id('nav-people').click();
  await id('inv-username').fill(username);
  await id('inv-name').fill('孙工 (new engineer)');
  await id('inv-role').selectOption('engineer');
  await id('inv-org').fill('工程项目部');
  await id('invite').click();
  await id('temp-password').waitFor();
  const temporary = (await id('temp-password').textContent()).trim();
  out.invitedStatus = (await id(`status-${username}`).textContent()).trim();
  await id('signout').click();
  await id('signin').waitFor();

  // The engineer signs in and sets a password.
  await signIn(page, username, temporary);
  await id('password-change').waitFor();
  await id('password-old').fill(temporary);
  await id('password-new').fill(password);
  await id('password-again').fill(password);
  await id('password-submit').click();
  await id('project-picker').waitFor();
  await id('project-picker').selectOption(project);
  await id('page-dashboard').waitFor();
  out.nav = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('data-testid')));

  // The dashboard, a drill-down and a defect.
  await id('report-round').selectOption('cumulative');
  await id('drill-open').first().waitFor();
  await id('drill-open').first().click();
  await id('open-defect').first().waitFor();
  await id('open-defect').first().click();
  await id('defect').waitFor();
  out.dashboardDefect = await id('defect').getAttribute('data-defect');
  await controls('dashboard');

  // Accepted risks, one opened.
  await id('nav-risks').click();
  await id('risk-row').first().waitFor();
  out.riskRows = await id('risk-row').count();
  await id('risk-open').first().click();
  await id('defect').waitFor();
  out.riskDefectRisk = (await id('risk-answer').textContent()).trim();
  await controls('risks');

  // Issued reports: read and download, never issue or share.
  await id('nav-issued').click();
  await id('issued-row').first().waitFor();
  out.issuedRows = await id('issued-row').count();
  out.shares = await id('share').count();
  await controls('issued');

  // A CS-center page by its address: not shown, the first page instead.
  await page.goto(`${url.replace(/\/$/, '')}/ui/console/#/units`);
  await id('page-dashboard').waitFor();
  out.unitsByAddress = await page.locator('[data-testid="page-units"]').count();
  await page.screenshot({ path: artefact('console-engineer.png'), fullPage: true });
} catch (e) {
  await page.screenshot({ path: artefact('engineer-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
