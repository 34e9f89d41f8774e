// The console's sign-in as an attacker's script would see it: the session
// cookie is HttpOnly (document.cookie and storage hold no token), SameSite
// Strict; a state-changing request without the console's header is refused,
// also when another site's form sends it; a reload stays signed in; sign-out
// ends it. Then an invited CS admin signs in with a temporary password and
// gets only the password form until the password is changed. Prints JSON
// for tests/tests/accounts.rs.
//
//   node e2e/accounts.mjs URL TEMPORARY_PASSWORD NEW_PASSWORD
import { launch, artefact, signIn } from './browser.mjs';

const [url, temporary, newPassword] = process.argv.slice(2);
const out = {};
const browser = await launch();
const context = await browser.newContext({ locale: 'en-US' });
const page = await context.newPage();
const id = (t) => page.locator(`[data-testid="${t}"]`);
const post = (headers) => page.evaluate(async (headers) => {
  const r = await fetch('/api/v1/projects/hj-lanting/edits', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{"edits":[]}' });
  return r.status;
}, headers);
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('nav-projects').waitFor();
  out.signedIn = (await id('whoami').textContent()).trim();
  out.documentCookie = await page.evaluate(() => document.cookie);
  const cookie = (await context.cookies()).find((c) => c.name === 'walkthrough_session');
  out.cookie = cookie ? { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, secure: cookie.secure } : null;
  out.storage = await page.evaluate((token) => {
    const found = [];
    for (const s of [localStorage, sessionStorage]) {
      for (let i = 0; i < s.length; i++) if (token && (s.getItem(s.key(i)) ?? '').includes(token)) found.push(s.key(i));
    }
    return found;
  }, cookie?.value ?? '');
  await page.reload();
  await id('nav-projects').waitFor();
  out.afterReload = true;
  out.bareStatus = await post({});
  out.withHeaderStatus = await post({ 'X-Requested-With': 'walkthrough' });

  // Another site's form posting to the server (an opaque origin).
  const other = await context.newPage();
  await other.setContent(`<form method="post" enctype="text/plain" action="${url}/api/v1/projects/hj-lanting/edits"><input name="x" value="y"></form>`);
  await Promise.all([other.waitForNavigation(), other.evaluate(() => document.forms[0].submit())]);
  out.crossSite = await other.locator('body').innerText();
  await other.close();

  await id('signout').click();
  await id('signin').waitFor();
  out.afterSignOut = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);

  // An invited account with its temporary password.
  await signIn(page, 'u-cs-new', temporary);
  await id('password-change').waitFor();
  out.forcedShown = await id('password-forced').isVisible();
  out.forcedNav = await id('nav-projects').count();
  await id('password-old').fill(temporary);
  await id('password-new').fill('short');
  await id('password-again').fill('short');
  await id('password-submit').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="password-error"]')?.hidden);
  out.tooShort = (await id('password-error').textContent()).trim();
  await id('password-new').fill(newPassword);
  await id('password-again').fill(newPassword);
  await id('password-submit').click();
  await id('nav-projects').waitFor();
  out.afterChangeNav = true;
  await page.screenshot({ path: artefact('accounts-after-change.png'), fullPage: true });
} catch (e) {
  await page.screenshot({ path: artefact('accounts-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
