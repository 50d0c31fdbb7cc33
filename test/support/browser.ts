/**
 * How the browser suites get their Chromium. Headless automation needs no window, so they run
 * Debian's `chromium-headless-shell` (Chromium's separate headless build, the one Playwright itself
 * runs for headless Chromium: https://github.com/microsoft/playwright/issues/33566) when it is
 * installed, and the full `chromium` in its "new" headless mode otherwise. On the project's 2-core
 * machine the outage page suite took 24 s of CPU with the shell against 66 s with the full browser,
 * most of the difference in the full browser's own process; both render with the same Blink.
 * `CHROMIUM_PATH` picks another binary.
 */
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';

/** The Chromium binary the browser suites launch. */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium');

/** Switches every suite wants: no sandbox (root in CI), nothing that talks to the network or a GPU. */
const COMMON_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Launches {@link CHROMIUM_PATH} headless with the common switches plus `args`; the caller closes it.
 * Fails with the install command when the binary is missing, instead of letting the suite skip.
 */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The browser tests need it: run ` +
        '`apt-get install -y chromium-headless-shell` (npm test installs it when missing), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...new Set([...COMMON_ARGS, ...args])] });
}
