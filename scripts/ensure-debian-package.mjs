#!/usr/bin/env node
// Makes sure a tool from Debian's packages is installed, e.g.
//   node scripts/ensure-debian-package.mjs /usr/bin/chromium chromium
// A fast no-op when the binary is there; otherwise, as root, `apt-get update` then
// `apt-get install -y --no-install-recommends <package>`. Safe to run every time, and
// how the project's scripts get Chromium (e2e) and nginx (bench) on a fresh machine.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const [binary, pkg] = process.argv.slice(2);
const me = `ensure-debian-package (${pkg ?? '?'})`;

function fail(message) {
  console.error(`${me}: ${message}`);
  process.exit(1);
}

if (!binary || !pkg || !path.isAbsolute(binary)) fail('usage: ensure-debian-package.mjs /absolute/path/to/binary debian-package');

function present() {
  try {
    accessSync(binary, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (present()) {
  console.log(`${me}: ${binary} is present, nothing to do`);
  process.exit(0);
}

const install = [
  ['apt-get', 'update'],
  ['apt-get', 'install', '-y', '--no-install-recommends', pkg],
];
const byHand = install.map((args) => `sudo ${args.join(' ')}`).join(' && ');
if (process.platform !== 'linux') fail(`${binary} is missing and this is not Linux; install Debian's ${pkg} package or its equivalent`);
if (process.getuid?.() !== 0)
  fail(`${binary} is missing and this is not root, so it cannot be installed here. Install it with:\n  ${byHand}`);
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  fail(`${binary} is missing and apt-get is not available: install the ${pkg} package some other way`);
}

console.log(`${me}: ${binary} is missing; installing Debian's ${pkg} package`);
for (const args of install) {
  console.log(`${me}: $ ${args.join(' ')}`);
  const result = spawnSync(args[0], args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) fail(`\`${args.join(' ')}\` failed (${result.error?.message ?? `exit code ${result.status}`})`);
}
if (!present()) fail(`the ${pkg} package is installed but ${binary} is still missing`);
console.log(`${me}: installed ${binary}`);
