import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const here = path.dirname(fileURLToPath(import.meta.url));
const CI = Boolean(process.env.CI);

/**
 * Video needs Playwright's own ffmpeg build, which only `npx playwright install ffmpeg` downloads
 * (this suite never runs `playwright install`). Without it every new page fails, so video is on
 * only where that binary already exists; traces (with their screenshots) and failure screenshots
 * need nothing extra.
 */
function playwrightFfmpegInstalled(): boolean {
  try {
    const core = path.dirname(createRequire(import.meta.url).resolve('playwright-core/package.json'));
    const browsers = JSON.parse(readFileSync(path.join(core, 'browsers.json'), 'utf8')) as {
      browsers: { name: string; revision: string }[];
    };
    const revision = browsers.browsers.find((b) => b.name === 'ffmpeg')?.revision;
    const fromEnv = process.env.PLAYWRIGHT_BROWSERS_PATH;
    const registry = fromEnv === '0' ? path.join(core, '.local-browsers') : (fromEnv ?? path.join(os.homedir(), '.cache/ms-playwright'));
    return revision !== undefined && existsSync(path.join(registry, `ffmpeg-${revision}`, 'ffmpeg-linux'));
  } catch {
    return false;
  }
}

/** Debian's Chromium (scripts/ensure-debian-package.mjs installs it on a fresh machine); never a downloaded browser. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: here,
  // release/: Slipway's own pages, each spec on a `slipway up` stack of its own.
  testMatch: ['ui/**/*.spec.ts', 'api/**/*.spec.ts', 'release/**/*.spec.ts'],
  // verify-fault-detection.mjs points this elsewhere so its deliberately failing run never mixes with the real one.
  outputDir: process.env.E2E_OUTPUT_DIR ?? path.join(here, 'test-results'),
  globalSetup: path.join(here, 'global-setup.ts'),
  globalTeardown: path.join(here, 'global-teardown.ts'),
  // Every test makes its own users, so tests are independent: run them in parallel, 2 workers on a 2-core machine.
  fullyParallel: true,
  workers: 2,
  forbidOnly: CI,
  retries: CI ? 2 : 0,
  timeout: 45_000,
  expect: { timeout: 7_500 },
  reporter: [['list'], ['html', { outputFolder: path.join(here, 'playwright-report'), open: 'never' }]],
  use: {
    // baseURL comes from global setup (a free port per run): see fixtures/index.ts.
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    video: CI && playwrightFfmpegInstalled() ? 'retain-on-failure' : 'off',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    launchOptions: CHROMIUM,
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
