#!/usr/bin/env node
// The Playwright suite uses Debian's Chromium at /usr/bin/chromium, never a browser downloaded by
// `playwright install`. This makes sure it is there: a fast no-op when it is, otherwise (as root)
// `apt-get update && apt-get install -y --no-install-recommends chromium`. Safe to run every time.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = [
  ['apt-get', 'update'],
  ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
];

function present() {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

if (present()) {
  console.log(`ensure-chromium: ${CHROMIUM} is present, nothing to do`);
  process.exit(0);
}

const byHand = INSTALL.map((args) => `sudo ${args.join(' ')}`).join(' && ');
if (process.platform !== 'linux')
  fail(`${CHROMIUM} is missing and this is not Linux; the e2e suite expects Debian's chromium package there`);
if (process.getuid?.() !== 0)
  fail(`${CHROMIUM} is missing and this is not root, so it cannot be installed here. Install it with:\n  ${byHand}`);
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  fail(`${CHROMIUM} is missing and apt-get is not available: install Debian's chromium package some other way`);
}

console.log(`ensure-chromium: ${CHROMIUM} is missing; installing Debian's chromium package`);
for (const args of INSTALL) {
  console.log(`ensure-chromium: $ ${args.join(' ')}`);
  const result = spawnSync(args[0], args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) fail(`\`${args.join(' ')}\` failed (${result.error?.message ?? `exit code ${result.status}`})`);
}
if (!present()) fail(`the chromium package is installed but ${CHROMIUM} is still missing`);

const version = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
console.log(`ensure-chromium: installed ${version.stdout?.trim() || CHROMIUM}`);
