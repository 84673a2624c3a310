#!/usr/bin/env node
// Base images made on this machine, for where no registry can be reached. The Dockerfile takes its
// bases as build arguments; these two stand in for the public ones it names by default:
//   build   (for node:22-bookworm-slim)          node, npm, a static busybox for /bin/sh and this
//                                                 machine's CA bundle (its registry may sit behind a proxy)
//   runtime (for gcr.io/distroless/nodejs22-…)   node at /nodejs/bin/node; the C and C++ runtime libraries
//                                                 (glibc, libstdc++, libgcc: what node and native addons link),
//                                                 /etc/passwd with UID 1001, /tmp; no shell, no npm
// Both are assembled from this machine's own node binary into a folder and `docker import`ed.
// Their tags carry a digest of what went into them, so they are made once and reused.
//   DOCKER_HOST=unix:///… node deploy/docker/bases.mjs        prints the two tags as JSON
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerClient } from '../../scripts/docker-engine.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const BUSYBOX = '/bin/busybox';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const NODE_IN_IMAGE = '/nodejs/bin/node';
export const RUNTIME_UID = 1001;

/** The absolute paths `ldd` lists for a binary (the dynamic loader included), as the loader will look them up. */
export function linkedLibraries(binary) {
  const result = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ldd ${binary} failed: ${result.stderr.trim()}`);
  const libraries = [];
  for (const line of result.stdout.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) libraries.push(match[1]);
  }
  return libraries;
}

/** Shared libraries of Debian's C and C++ runtime packages, as distroless/cc carries them (gconv modules left out). */
function runtimeLibraries() {
  const result = spawnSync('dpkg', ['-L', 'libc6', 'libstdc++6', 'libgcc-s1'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`dpkg -L failed: ${result.stderr.trim()}`);
  return result.stdout.split('\n').filter((file) => /\.so(\.[\d.]+)?$/.test(file) && !file.includes('/gconv/'));
}

function installBusybox() {
  const result = spawnSync(process.execPath, [path.join(repo, 'scripts/ensure-debian-package.mjs'), BUSYBOX, 'busybox-static'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`cannot install busybox-static: ${(result.stderr || result.stdout).trim()}`);
}

function npmFolder() {
  const cli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  return path.resolve(path.dirname(cli), '..');
}

function digest(parts) {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 12);
}

function copyInto(root, file, as = file) {
  const target = path.join(root, as);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(realpathSync(file), target);
  chmodSync(target, 0o755);
}

function runtimeLayout(root, node, libraries) {
  copyInto(root, node, NODE_IN_IMAGE);
  for (const library of libraries) copyInto(root, library);
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/passwd'),
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${RUNTIME_UID}:${RUNTIME_UID}:nonroot:/home/nonroot:/sbin/nologin\n`,
  );
  writeFileSync(path.join(root, 'etc/group'), `root:x:0:\nnonroot:x:${RUNTIME_UID}:\n`);
  mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  chmodSync(path.join(root, 'tmp'), 0o1777);
  mkdirSync(path.join(root, 'home/nonroot'), { recursive: true });
}

function buildLayout(root, node, libraries, npm) {
  runtimeLayout(root, node, libraries);
  mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
  symlinkSync(NODE_IN_IMAGE, path.join(root, 'usr/local/bin/node'));
  cpSync(npm, path.join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'usr/local/bin/npx'));
  copyInto(root, BUSYBOX);
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('/bin/busybox', path.join(root, 'bin', applet));
  symlinkSync('/bin/busybox', path.join(root, 'usr/bin/env'));
  if (existsSync(CA_BUNDLE)) copyInto(root, CA_BUNDLE);
  mkdirSync(path.join(root, 'root'), { mode: 0o700 });
}

function docker(env, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerClient(), args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.resume();
    if (input) input(child.stdin);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args[0]} failed: ${stderr.trim()}`))));
  });
}

async function imageExists(env, tag) {
  return docker(env, ['image', 'inspect', tag]).then(
    () => true,
    () => false,
  );
}

/** Removes the other tags of a base image's repository (made from an earlier node, npm or script); ones still in use stay. */
async function removeOlderTags(env, tag, log) {
  const repository = tag.slice(0, tag.lastIndexOf(':'));
  const listed = spawnSync(dockerClient(), ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', repository], {
    env,
    encoding: 'utf8',
  });
  for (const old of listed.stdout?.split('\n').filter((t) => t && t !== tag) ?? []) {
    await docker(env, ['image', 'rm', old]).then(
      () => log(`removed the older base image ${old}`),
      () => {},
    );
  }
}

async function importFolder(env, root, tag, changes) {
  await docker(env, ['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], (stdin) => {
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    tar.stdout.pipe(stdin);
  });
}

/**
 * Makes the two base images unless images with the same digest exist already.
 * `env` must carry DOCKER_HOST for the engine to use. Returns their tags.
 */
export async function ensureBaseImages(env = process.env, log = () => {}) {
  installBusybox();
  const node = realpathSync(process.execPath);
  const libraries = [...new Set([...linkedLibraries(node), ...runtimeLibraries()])].sort();
  const npm = npmFolder();
  const npmVersion = JSON.parse(readFileSync(path.join(npm, 'package.json'), 'utf8')).version;
  const busybox = spawnSync(BUSYBOX, [], { encoding: 'utf8' }).stdout.split('\n')[0];
  const caBundle = existsSync(CA_BUNDLE) ? readFileSync(CA_BUNDLE, 'utf8') : '';
  const key = digest([process.version, npmVersion, busybox, ...libraries, caBundle, readFileSync(fileURLToPath(import.meta.url), 'utf8')]);
  const version = process.version.slice(1);
  const tags = { build: `slipway-base/node-build:${version}-${key}`, runtime: `slipway-base/node-runtime:${version}-${key}` };
  const path_ = 'PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin';
  for (const [kind, tag] of Object.entries(tags)) {
    if (await imageExists(env, tag)) {
      log(`base image ${tag} is already there`);
      continue;
    }
    const started = Date.now();
    const root = mkdtempSync(path.join(os.tmpdir(), `slipway-base-${kind}-`));
    try {
      if (kind === 'build') buildLayout(root, node, libraries, npm);
      else runtimeLayout(root, node, libraries);
      const changes =
        kind === 'build'
          ? [`ENV ${path_}`, 'ENV HOME=/root', `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`]
          : [`ENV ${path_}`, `USER ${RUNTIME_UID}:${RUNTIME_UID}`, `ENTRYPOINT ["${NODE_IN_IMAGE}"]`];
      await importFolder(env, root, tag, changes);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    log(`base image ${tag} made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await removeOlderTags(env, tag, log);
  }
  return tags;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(JSON.stringify(await ensureBaseImages(process.env, (line) => console.error(line))));
  } catch (err) {
    console.error(`bases: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
