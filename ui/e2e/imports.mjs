// The CS center imports the unit lists it really has in the console, as a
// person would: an XLSX with a merged title row and a note row (the header
// row is found), a CSV whose header the server cannot recognise under a
// title row (the person chooses the header row, then the columns), and a
// GBK CSV from Chinese Excel. Prints what it saw as JSON for
// tests/tests/imports.rs to check against the server.
//
//   node e2e/imports.mjs URL PROJECT BOOK.xlsx CHOSEN.csv GBK.csv
import { launch, artefact, signIn } from './browser.mjs';

const [url, project, book, chosen, gbk] = process.argv.slice(2);
const out = {};
const browser = await launch();
const page = await browser.newPage({ locale: 'en-US' });
const id = (t) => page.locator(`[data-testid="${t}"]`);
const texts = async (t) => (await id(t).allTextContents()).map((s) => s.trim());
const cells = (t) => id(t).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
const count = async () => Number((await id('units-count').textContent()).trim().split(' ')[0]);
/** Import what the preview shows, and wait for the page to count the new units. */
const importShown = async () => {
  const before = await count();
  const n = await id('units-preview-row').count();
  await id('units-import').click();
  await page.waitForFunction((want) => document.querySelector('[data-testid="units-count"]')?.textContent.startsWith(`${want} units`), before + n);
  return (await id('units-count').textContent()).trim();
};
try {
  await page.goto(url);
  await signIn(page, 'u-cs-wang');
  await id('project-picker').selectOption(project);
  await id('nav-units').click();
  await id('page-units').waitFor();
  out.before = await count();

  // The workbook: the header is found under the merged title and the note.
  await id('units-file').setInputFiles(book);
  await id('units-summary').waitFor();
  out.bookHeaderRow = await id('units-header-row').inputValue();
  out.bookHeaderOptions = (await page.locator('[data-testid="units-header-row"] option').allTextContents()).map((s) => s.trim());
  out.bookEntrance = await id('map-entrance').inputValue();
  out.bookErrors = await texts('units-error');
  out.bookRows = await cells('units-preview-row');
  out.bookCount = await importShown();

  // Headers nobody knows, under a title row: choose the header row, then
  // say which column holds what.
  await id('units-file').setInputFiles(chosen);
  await id('units-error').first().waitFor();
  out.chosenFirstError = await texts('units-error');
  await id('units-header-row').selectOption('2');
  await page.waitForFunction(() => document.querySelector('[data-testid="units-error"]')?.textContent.startsWith('Row 2'));
  out.chosenHeaderError = await texts('units-error');
  await id('map-building').selectOption('幢');
  await id('map-entrance').selectOption('梯');
  await id('map-floor').selectOption('层次');
  await id('map-number').selectOption('门号');
  await id('map-unit_type').selectOption('型');
  await id('units-preview-button').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="units-error"]'));
  out.chosenHeaderRow = await id('units-header-row').inputValue();
  out.chosenSummary = (await id('units-summary').textContent()).trim();
  out.chosenRows = await cells('units-preview-row');
  out.chosenCount = await importShown();

  // Chinese Excel's CSV (GBK): found again from a new file, no choice kept.
  await id('units-file').setInputFiles(gbk);
  await page.waitForFunction(() => document.querySelector('[data-testid="units-header-row"]')?.value === '3');
  await id('units-summary').waitFor();
  out.gbkErrors = await texts('units-error');
  out.gbkRows = await cells('units-preview-row');
  out.gbkCount = await importShown();
  await page.screenshot({ path: artefact('console-imports.png'), fullPage: true });
} catch (e) {
  await page.screenshot({ path: artefact('imports-failure.png'), fullPage: true }).catch(() => {});
  out.failure = String(e);
  out.page = await page.locator('body').innerText().catch(() => '');
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
