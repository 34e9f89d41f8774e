// The accessibility audit run inside a page (after axe-core itself): shared by
// e2e/a11y.mjs (Chromium) and tests/tests/tablet_app.rs (the app's WebKit, by
// WebDriver). Defines `window.walkthroughA11yAudit()`, which resolves to
// { lang, title, violations: [{ rule, help, nodes }], photos: [alt…] }.
window.walkthroughA11yAudit = async function walkthroughA11yAudit() {
  // WCAG 2.0/2.1 level A and AA: labels, image alt, button/link/select names,
  // the page's lang and title, valid ARIA, contrast, keyboard traps, …
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  const snippet = (el) => el.outerHTML.slice(0, 200);
  const violations = r.violations.map((v) => ({ rule: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.html.slice(0, 200)) }));
  // What axe cannot judge. A photo says what it is (alt="" passes axe, but
  // only decoration may have it): every defect photo and floor plan image.
  const photos = [...document.querySelectorAll('img[data-hash], img[data-photo], .photo img')];
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) violations.push({ rule: 'img-without-alt', help: 'an image without alt', nodes: [snippet(img)] });
    else if (photos.includes(img) && !img.alt.trim()) violations.push({ rule: 'photo-alt-empty', help: 'a photo must say what it shows', nodes: [snippet(img)] });
  }
  // Marks, plans and charts: each SVG is named (role="img" with a label, or a
  // <title>) or hidden from screen readers on purpose.
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.closest('[aria-hidden="true"]')) continue;
    const named = (svg.getAttribute('role') === 'img' && (svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby')))
      || svg.querySelector(':scope > title')?.textContent.trim();
    if (!named) violations.push({ rule: 'svg-unnamed', help: 'an SVG needs a name or aria-hidden', nodes: [snippet(svg)] });
  }
  // Only controls act: a div, span or cell with a click action must be a button.
  for (const el of document.querySelectorAll('div[data-act], span[data-act], td[data-act], li[data-act], figure[data-action]:not([role="button"]), div[data-action]:not(.plan-pick), span[data-action], [onclick]')) {
    violations.push({ rule: 'clickable-non-control', help: 'a clickable element that is not a button', nodes: [snippet(el)] });
  }
  return { lang: document.documentElement.lang, title: document.title, violations, photos: photos.map((i) => i.alt) };
};
