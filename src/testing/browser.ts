/**
 * @module Debian's Chromium for the dashboard tests, driven by
 * playwright-core (never a browser Playwright downloads): where it is, how it
 * is started, and where screenshots go.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool, ROOT } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Skips without Chromium, fails in CI (`CI=true`) where `.ci/run` installs it. */
export function chromiumOrSkip(): string | undefined {
  if (hasTool('chromium') && existsSync(CHROMIUM)) return undefined;
  if (process.env['CI'] === 'true') throw new Error('chromium is required in CI but is not installed');
  return 'chromium is not installed (apt-get install chromium)';
}

export function screenshotDir(fallback: string): string {
  const dir =
    process.env['FLOWHUNT_SCREENSHOTS'] === 'docs'
      ? join(ROOT, 'docs', 'screenshots')
      : join(fallback, 'shots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
