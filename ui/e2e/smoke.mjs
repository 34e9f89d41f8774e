// The server serves the compiled front ends and Chromium can load them.
import { launch } from './browser.mjs';

const [url] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  const res = await page.goto(`${url}/ui/shared/style.css`);
  const body = await res.text();
  console.log(JSON.stringify({ status: res.status(), hasRoot: body.includes(':root') }));
} finally {
  await browser.close();
}
