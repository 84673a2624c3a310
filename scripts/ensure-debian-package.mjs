#!/usr/bin/env node
// Makes sure tools from Debian's packages are installed, e.g.
//   node scripts/ensure-debian-package.mjs /usr/bin/chromium chromium
// A fast no-op when the binaries are there; otherwise, as root, `apt-get update` then
// `apt-get install -y --no-install-recommends <packages>`. Safe to run every time, and
// how the project's scripts get Chromium (e2e), Docker (the container tier) and nginx
// (bench) on a fresh machine.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

// Pairs of binary and package: `… /usr/bin/chromium chromium /usr/sbin/dockerd docker.io` installs every
// missing one with a single `apt-get update` and `apt-get install`.
const args = process.argv.slice(2);
const pairs = [];
for (let i = 0; i < args.length; i += 2) pairs.push({ binary: args[i], pkg: args[i + 1] });
const me = `ensure-debian-package (${pairs.map((p) => p.pkg ?? '?').join(', ') || '?'})`;

function fail(message) {
  console.error(`${me}: ${message}`);
  process.exit(1);
}

if (pairs.length === 0 || pairs.some(({ binary, pkg }) => !binary || !pkg || !path.isAbsolute(binary))) {
  fail('usage: ensure-debian-package.mjs /absolute/path/to/binary debian-package [/another/binary package …]');
}

function present(binary) {
  try {
    accessSync(binary, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const missing = pairs.filter(({ binary }) => !present(binary));
if (missing.length === 0) {
  console.log(`${me}: ${pairs.map((p) => p.binary).join(', ')} present, nothing to do`);
  process.exit(0);
}

const packages = [...new Set(missing.map((p) => p.pkg))];
const binaries = missing.map((p) => p.binary).join(', ');
// Waits for another apt-get (a parallel test lane's) to finish instead of failing on its lock.
const lock = ['-o', 'DPkg::Lock::Timeout=600'];
const install = [
  ['apt-get', ...lock, 'update'],
  ['apt-get', ...lock, 'install', '-y', '--no-install-recommends', ...packages],
];
const byHand = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
if (process.platform !== 'linux')
  fail(`${binaries} missing and this is not Linux; install Debian's ${packages.join(', ')} or the equivalent`);
if (process.getuid?.() !== 0)
  fail(`${binaries} missing and this is not root, so nothing can be installed here. Install with:\n  ${byHand}`);
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  fail(`${binaries} missing and apt-get is not available: install ${packages.join(', ')} some other way`);
}

console.log(`${me}: ${binaries} missing; installing Debian's ${packages.join(', ')}`);
for (const command of install) {
  console.log(`${me}: $ ${command.join(' ')}`);
  const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) fail(`\`${command.join(' ')}\` failed (${result.error?.message ?? `exit code ${result.status}`})`);
}
const still = missing.filter(({ binary }) => !present(binary));
if (still.length) fail(`installed, but ${still.map((p) => `${p.binary} (${p.pkg})`).join(', ')} still missing`);
console.log(`${me}: installed ${binaries}`);
