// Shared by the browser scripts: Debian's Chromium through playwright-core,
// started the way this machine's closed network needs.
import { chromium } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.WALKTHROUGH_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/** A path for a screenshot or download the person running the tests may want to see. */
export function artefact(name) {
  return join(process.env.WALKTHROUGH_ARTEFACTS || tmpdir(), name);
}
