// After tsc: copy each front end's static files (HTML, CSS, images) next to
// its compiled modules, so dist/<front end>/ is a complete static site.
import { cpSync, existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, extname } from 'node:path';

const STATIC = new Set(['.html', '.css', '.svg', '.png', '.ico', '.json', '.woff2']);
function copyStatic(from, to) {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) { copyStatic(src, join(to, name)); continue; }
    if (STATIC.has(extname(name))) { mkdirSync(to, { recursive: true }); cpSync(src, join(to, name)); }
  }
}
for (const dir of ['shared', 'app', 'console', 'contractor']) {
  if (existsSync(dir)) copyStatic(dir, join('dist', dir));
}
