import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

/** Debian's Chromium (DESIGN.md, Tests): never a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.RAMPART_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags DESIGN.md fixes for headless Chromium here: no sandbox (tests run as root in CI),
 * no GPU, and no background networking or component updates (this machine's network is closed,
 * and a browser that phones home is slow to start and noisy).
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Starts a fresh headless Chromium with its own empty profile; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}

/**
 * A describe block for browser tests. Without Chromium the block is registered as skipped with
 * a printed reason, except under CI=true, where a missing browser fails the run (`.ci/run`
 * installs Debian's `chromium` when absent).
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, fn);
    return;
  }
  const reason = `${CHROMIUM_PATH} is missing (apt-get install chromium, or set RAMPART_TEST_CHROMIUM)`;
  if (process.env.CI === 'true') {
    throw new Error(`${reason} but CI=true: the browser tests must run in CI.`);
  }
  console.warn(`[skipped] ${name}: ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}
