import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleRelease } from './build.js';
import { DependencyError, installDependencies, productionClosure, type LockEntry } from './dependencies.js';

// A small npm workspace written by hand: its package-lock.json and an installed node_modules that matches it.

let dir: string;
let source: string;

function write(rel: string, text: string): void {
  const file = path.join(source, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function installPackage(at: string, name: string, version: string, extra: Record<string, unknown> = {}): void {
  write(`${at}/package.json`, JSON.stringify({ name, version, ...extra }));
  write(`${at}/index.js`, `export default '${name}@${version}';\n`);
}

const lock: { name: string; lockfileVersion: number; packages: Record<string, LockEntry> } = {
  name: 'shop',
  lockfileVersion: 3,
  packages: {
    '': { name: 'shop', workspaces: ['packages/*', 'app'], devDependencies: { tester: '^1.0.0' } },
    app: {
      name: 'app',
      version: '1.0.0',
      dependencies: { web: '^2.0.0', '@shop/lib': '*' },
      optionalDependencies: { 'native-other-os': '1' },
    },
    'packages/lib': { name: '@shop/lib', version: '1.0.0', dependencies: { tiny: '^1.0.0' } },
    'node_modules/@shop/lib': { resolved: 'packages/lib', link: true },
    'node_modules/app': { resolved: 'app', link: true },
    'node_modules/web': {
      version: '2.1.0',
      integrity: 'sha512-web',
      dependencies: { tiny: '^2.0.0' },
      peerDependencies: { typer: '*' },
      peerDependenciesMeta: { typer: { optional: true } },
      bin: { web: 'bin/web.js' },
    },
    'node_modules/web/node_modules/tiny': { version: '2.0.0', integrity: 'sha512-tiny2' },
    'node_modules/tiny': { version: '1.0.0', integrity: 'sha512-tiny1' },
    'node_modules/typer': { version: '5.0.0', dev: true },
    'node_modules/tester': { version: '1.0.0', dev: true },
    'node_modules/native-other-os': { version: '1.0.0', optional: true, os: ['aix'] },
  },
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-deps-'));
  source = path.join(dir, 'source');
  write('package-lock.json', JSON.stringify(lock));
  write('package.json', JSON.stringify({ name: 'shop', workspaces: ['packages/*', 'app'] }));
  write('app/package.json', JSON.stringify({ name: 'app', version: '1.0.0' }));
  write('app/main.js', '');
  write('packages/lib/package.json', JSON.stringify({ name: '@shop/lib', version: '1.0.0' }));
  installPackage('node_modules/web', 'web', '2.1.0');
  write('node_modules/web/bin/web.js', '#!/usr/bin/env node\n');
  installPackage('node_modules/web/node_modules/tiny', 'tiny', '2.0.0');
  installPackage('node_modules/tiny', 'tiny', '1.0.0');
  installPackage('node_modules/typer', 'typer', '5.0.0');
  installPackage('node_modules/tester', 'tester', '1.0.0');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const build = (id: string, include = ['package.json', 'app', 'packages/lib']) =>
  assembleRelease({
    source,
    include,
    releasesDir: path.join(dir, 'releases'),
    snapshotsDir: path.join(dir, 'deps'),
    id,
    sha: null,
    dirty: false,
  });

describe('productionClosure', () => {
  it('follows dependencies as Node resolves them, leaving out dev packages, other platforms and dev-only optional peers', () => {
    const closure = productionClosure(lock.packages, ['', 'app'], (p) => p !== 'node_modules/native-other-os');
    expect(closure.packages.map((p) => p.path)).toEqual(['node_modules/tiny', 'node_modules/web', 'node_modules/web/node_modules/tiny']);
    expect(closure.links).toEqual([{ path: 'node_modules/@shop/lib', target: 'packages/lib' }]);
  });

  it('names the package whose dependency the lockfile does not list', () => {
    const broken = { ...lock.packages, 'packages/lib': { ...lock.packages['packages/lib'], dependencies: { missing: '1' } } };
    expect(() => productionClosure(broken, ['app'], () => true)).toThrow(/packages\/lib needs missing, which it does not list/);
  });
});

describe('a release built from the lockfile', () => {
  it('runs the packages it was built with after the working tree installs others', () => {
    const { appDir, dependencies } = build('r1');
    expect(dependencies).toMatchObject({ packages: 3, links: 1, created: true });
    expect(readFileSync(path.join(appDir, 'node_modules/web/index.js'), 'utf8')).toContain('web@2.1.0');
    expect(readFileSync(path.join(appDir, 'node_modules/web/node_modules/tiny/index.js'), 'utf8')).toContain('tiny@2.0.0');
    expect(readlinkSync(path.join(appDir, 'node_modules/@shop/lib'))).toBe('../../packages/lib');
    expect(readlinkSync(path.join(appDir, 'node_modules/.bin/web'))).toBe('../web/bin/web.js');
    expect(() => statSync(path.join(appDir, 'node_modules/tester'))).toThrow(); // dev only

    // The working tree moves on: a new version of web installed, and a file of tiny edited in place.
    installPackage('node_modules/web', 'web', '2.2.0');
    write('node_modules/tiny/index.js', 'edited in place\n');
    expect(readFileSync(path.join(appDir, 'node_modules/web/index.js'), 'utf8')).toContain('web@2.1.0');
    expect(readFileSync(path.join(appDir, 'node_modules/tiny/index.js'), 'utf8')).toContain('tiny@1.0.0');
  });

  it('reuses the snapshot for the same lockfile, and refuses a tree that does not match the lockfile', () => {
    build('r1');
    expect(build('r2').dependencies).toMatchObject({ created: false });
    const newer = structuredClone(lock);
    newer.packages['node_modules/web']!.version = '2.3.0';
    write('package-lock.json', JSON.stringify(newer));
    expect(() => build('r3')).toThrow(/node_modules\/web is 2\.1\.0 in .* but package-lock\.json says 2\.3\.0: run npm ci/);
    expect(() => statSync(path.join(dir, 'releases/r3.partial'))).toThrow(); // nothing half-built left behind
  });

  it('refuses a release that needs a workspace package it does not include', () => {
    expect(() => build('r1', ['package.json', 'app'])).toThrow(DependencyError);
    expect(() => build('r2', ['package.json', 'app'])).toThrow(
      /build\.include: the release needs @shop\/lib \(the workspace package in packages\/lib\) but does not include it/,
    );
  });

  it('refuses dependencies without a lockfile', () => {
    rmSync(path.join(source, 'package-lock.json'));
    write('package.json', JSON.stringify({ name: 'shop', dependencies: { web: '^2.0.0' } }));
    expect(() => installDependencies({ source, appDir: source, snapshotsDir: path.join(dir, 'deps') })).toThrow(
      /has dependencies but no package-lock\.json/,
    );
  });
});
