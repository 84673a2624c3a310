import { createHash } from 'node:crypto';
import {
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';

// A release's production dependencies, resolved from package-lock.json the way `npm ci --omit=dev` would install
// them, copied once from the installed tree into an immutable snapshot (one per distinct set of packages) and
// hard-linked from there into each release. A release never reads the working tree's node_modules afterwards.

/** One entry of package-lock.json's `packages` (lockfile versions 2 and 3). */
export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bin?: string | Record<string, string>;
  workspaces?: string[];
  os?: string[];
}

export class DependencyError extends Error {
  override readonly name = 'DependencyError';
}

export interface DependencyClosure {
  /** Lockfile paths of the packages to install, e.g. `node_modules/fastify`, `apps/x/node_modules/y`. */
  packages: { path: string; entry: LockEntry }[];
  /** Workspace links the release needs: `node_modules/@scope/pkg` → `packages/pkg` (both lockfile paths). */
  links: { path: string; target: string }[];
}

/** Reads `<source>/package-lock.json`; null when the release has no dependencies to resolve. */
export function readLockfile(source: string): Record<string, LockEntry> | null {
  const file = path.join(source, 'package-lock.json');
  if (!existsSync(file)) return null;
  let lock: { lockfileVersion?: number; packages?: Record<string, LockEntry> };
  try {
    lock = JSON.parse(readFileSync(file, 'utf8')) as typeof lock;
  } catch (err) {
    throw new DependencyError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!lock.packages || (lock.lockfileVersion ?? 1) < 2)
    throw new DependencyError(`${file}: lockfile version ${lock.lockfileVersion ?? 1} has no "packages" map; npm 7 or newer writes one`);
  return lock.packages;
}

/**
 * The packages a production install of `roots` needs: their dependencies, optional dependencies that are installed,
 * and peer dependencies (optional ones only when they are production packages), followed through the lockfile the
 * way Node resolves them (the requiring package's own node_modules first, then each folder above it).
 */
export function productionClosure(
  lock: Record<string, LockEntry>,
  roots: string[],
  isInstalled: (p: string) => boolean,
): DependencyClosure {
  const packages = new Map<string, LockEntry>();
  const links = new Map<string, string>();
  const visited = new Set<string>();
  const visit = (from: string): void => {
    if (visited.has(from)) return;
    visited.add(from);
    const entry = lock[from];
    if (!entry) throw new DependencyError(`package-lock.json has no entry for "${from || '(the root package)'}": run npm install`);
    type Kind = 'required' | 'optional' | 'peer' | 'optional-peer';
    const wanted: [string, Kind][] = [
      ...Object.keys(entry.dependencies ?? {}).map((n): [string, Kind] => [n, 'required']),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, Kind] => [n, 'optional']),
      ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, Kind] => [
        n,
        entry.peerDependenciesMeta?.[n]?.optional ? 'optional-peer' : 'peer',
      ]),
    ];
    for (const [name, kind] of wanted) {
      const found = resolveIn(lock, from, name);
      const dep = found && lock[found];
      if (!found || !dep) {
        // A peer npm did not install (legacy-peer-deps) is not installed by `npm ci --omit=dev` either.
        if (kind !== 'required') continue;
        throw new DependencyError(`package-lock.json: ${describe(from)} needs ${name}, which it does not list: run npm install`);
      }
      if (dep.link) {
        if (!dep.resolved) throw new DependencyError(`package-lock.json: the link ${found} names no target`);
        if (dep.resolved.startsWith('..'))
          throw new DependencyError(
            `package-lock.json: ${found} links to ${dep.resolved}, outside the source folder; a release can only hold packages inside it`,
          );
        links.set(found, dep.resolved);
        visit(dep.resolved);
        continue;
      }
      if (kind === 'optional-peer' && dep.dev) continue;
      if ((kind === 'optional' || kind === 'optional-peer') && !isInstalled(found)) continue; // e.g. a native build for another platform
      if (!packages.has(found)) packages.set(found, dep);
      visit(found);
    }
  };
  for (const root of roots) visit(root);
  return {
    packages: [...packages].map(([p, entry]) => ({ path: p, entry })).sort((a, b) => a.path.localeCompare(b.path)),
    links: [...links].map(([p, target]) => ({ path: p, target })).sort((a, b) => a.path.localeCompare(b.path)),
  };
}

/** Where Node would find `name` when required from the package at lockfile path `from`. */
function resolveIn(lock: Record<string, LockEntry>, from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!dir) return null;
    const nested = dir.lastIndexOf('/node_modules/');
    if (nested !== -1) dir = dir.slice(0, nested);
    else if (dir.startsWith('node_modules/')) dir = '';
    else dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
}

const describe = (p: string) => (p === '' ? 'the root package' : p);

/** Workspaces (lockfile paths of the root and of its workspace packages) whose package.json the release holds. */
export function releaseRoots(lock: Record<string, LockEntry>, appDir: string): string[] {
  return Object.keys(lock).filter((p) => !p.split('/').includes('node_modules') && existsSync(path.join(appDir, p, 'package.json')));
}

/** A key for the exact set of packages on this platform and Node ABI (native builds differ): the same key, the same files. */
export function closureKey(closure: DependencyClosure): string {
  const hash = createHash('sha256');
  hash.update(`${process.platform}-${process.arch}-${process.versions.modules}\n`);
  for (const { path: p, entry } of closure.packages)
    hash.update(`${p}\0${entry.version ?? ''}\0${entry.integrity ?? entry.resolved ?? ''}\n`);
  return hash.digest('hex').slice(0, 24);
}

export interface InstalledDependencies {
  snapshot: string;
  /** The snapshot was made by this build (a copy from the working tree), not reused. */
  created: boolean;
  packages: number;
  links: number;
}

/**
 * Gives the release at `appDir` its production dependencies: checks that the working tree has each one installed at
 * the version the lockfile names, makes (or reuses) the snapshot under `snapshotsDir`, hard-links it into the release,
 * and links workspace packages to the release's own copies (refusing when the release does not include one).
 */
export function installDependencies(opts: { source: string; appDir: string; snapshotsDir: string }): InstalledDependencies | null {
  const lock = readLockfile(opts.source);
  if (!lock) {
    const manifest = path.join(opts.appDir, 'package.json');
    const deps = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: object }).dependencies : undefined;
    if (deps && Object.keys(deps).length > 0)
      throw new DependencyError(
        `${opts.source} has dependencies but no package-lock.json; a release's dependencies are installed from it (run npm install)`,
      );
    return null;
  }
  const roots = releaseRoots(lock, opts.appDir);
  const closure = productionClosure(lock, roots, (p) => existsSync(path.join(opts.source, p, 'package.json')));
  for (const link of closure.links) {
    if (!existsSync(path.join(opts.appDir, link.target, 'package.json'))) {
      throw new DependencyError(
        `build.include: the release needs ${link.path.replace(/^.*node_modules\//, '')} (the workspace package in ${link.target}) ` +
          `but does not include it: add "${link.target}/package.json" and its built files`,
      );
    }
  }
  const key = closureKey(closure);
  const snapshot = path.join(opts.snapshotsDir, key);
  const created = !existsSync(snapshot);
  if (created) makeSnapshot(opts.source, closure, snapshot);
  // The snapshot holds exactly the closure, at the paths the release needs it.
  linkTree(snapshot, opts.appDir);
  for (const link of closure.links) {
    const at = path.join(opts.appDir, link.path);
    mkdirSync(path.dirname(at), { recursive: true });
    // Relative, so the release folder can be renamed or moved whole.
    symlinkSync(path.relative(path.dirname(at), path.join(opts.appDir, link.target)), at);
  }
  linkBins(opts.appDir, closure);
  return { snapshot: key, created, packages: closure.packages.length, links: closure.links.length };
}

function makeSnapshot(source: string, closure: DependencyClosure, snapshot: string): void {
  const staging = `${snapshot}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    copyClosure(source, closure, staging);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  mkdirSync(path.dirname(snapshot), { recursive: true });
  try {
    renameSync(staging, snapshot);
  } catch (err) {
    // Another build made the same snapshot meanwhile: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(snapshot)) throw err;
  }
}

/** Copies each package of the closure from the installed tree, checking it is the version the lockfile names. */
function copyClosure(source: string, closure: DependencyClosure, staging: string): void {
  for (const { path: p, entry } of closure.packages) {
    const from = path.join(source, p);
    let installed: string | undefined;
    try {
      installed = (JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8')) as { version?: string }).version;
    } catch {
      throw new DependencyError(`${p} is in package-lock.json but not installed in ${source}: run npm ci`);
    }
    if (entry.version && installed !== entry.version)
      throw new DependencyError(
        `${p} is ${installed ?? '(no version)'} in ${source} but package-lock.json says ${entry.version}: run npm ci`,
      );
    copyPackage(from, path.join(staging, p));
  }
  mkdirSync(staging, { recursive: true });
}

/** A package's own files: its nested node_modules are packages of their own (copied only when needed). */
function copyPackage(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyPackage(src, dst);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else copyFileSync(src, dst, constants.COPYFILE_FICLONE); // a reflink where the file system has them
  }
}

/** Hard links every file of `from` into `to` (a copy where the two are on different file systems). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dst);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else {
      try {
        linkSync(src, dst);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        copyFileSync(src, dst);
      }
    }
  }
}

/** `node_modules/.bin` entries, as npm makes them, for the packages that declare executables. */
function linkBins(appDir: string, closure: DependencyClosure): void {
  for (const { path: p, entry } of closure.packages) {
    if (!entry.bin) continue;
    const name = p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const bins = typeof entry.bin === 'string' ? { [name.split('/').at(-1)!]: entry.bin } : entry.bin;
    const binDir = path.join(appDir, p.slice(0, p.lastIndexOf('node_modules/') + 'node_modules'.length), '.bin');
    for (const [bin, file] of Object.entries(bins)) {
      const at = path.join(binDir, bin);
      if (lstatSync(at, { throwIfNoEntry: false })) continue; // the first package to claim a name keeps it, as npm does
      mkdirSync(binDir, { recursive: true });
      symlinkSync(path.relative(binDir, path.join(appDir, p, file)), at);
    }
  }
}
