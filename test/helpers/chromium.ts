import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's headless Chromium, driven by playwright-core (no browser download). The browser
 * is part of the test, like Postfix in the interop tests: missing means failed, never skipped.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`Chromium is required by the admin web tests at ${CHROMIUM} but is missing. These tests never skip. Install it: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`);
  }
  // The flags a root CI job needs, and none of Chromium's background connections (the network is closed).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
