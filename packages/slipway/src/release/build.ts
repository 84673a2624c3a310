import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/config.js';
import { runCommand } from './command.js';
import { installDependencies, type InstalledDependencies } from './dependencies.js';

interface ReleaseManifest {
  id: string;
  sha: string | null;
  dirty: boolean;
  createdAt: string;
  source: string;
  /** The dependency snapshot hard-linked into `app/` (null: the source has no package-lock.json). */
  dependencies: { snapshot: string; packages: number } | null;
}

class BuildError extends Error {
  override readonly name = 'BuildError';
}

function git(source: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: source, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** `<short sha>[-dirty]-<UTC yyyymmddThhmmss>`; `local-…` outside git. */
export function releaseId(source: string, now = new Date()): { id: string; sha: string | null; dirty: boolean } {
  const sha = git(source, ['rev-parse', '--short=8', 'HEAD']);
  const dirty = sha !== null && (git(source, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const time = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return { id: `${sha ?? 'local'}${dirty ? '-dirty' : ''}-${time}`, sha, dirty };
}

/**
 * Copies the built files into `<releasesDir>/<id>/app` (written under a temporary name and renamed, so a release
 * folder is either complete or absent) and gives it its own production dependencies from package-lock.json (see
 * dependencies.ts): the release never runs the working tree's code or packages.
 */
export function assembleRelease(opts: {
  source: string;
  include: string[];
  releasesDir: string;
  snapshotsDir: string;
  id: string;
  sha: string | null;
  dirty: boolean;
}): {
  dir: string;
  appDir: string;
  dependencies: InstalledDependencies | null;
} {
  const dir = path.join(opts.releasesDir, opts.id);
  if (existsSync(dir)) throw new BuildError(`release ${opts.id} already exists in ${opts.releasesDir}`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  const app = path.join(staging, 'app');
  mkdirSync(app, { recursive: true });
  try {
    for (const rel of opts.include) {
      const from = path.join(opts.source, rel);
      if (!existsSync(from)) throw new BuildError(`build.include: ${rel} does not exist in ${opts.source} (did the build run?)`);
      // Dependencies come from the lockfile, never from a node_modules folder inside an included path.
      cpSync(from, path.join(app, rel), { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' });
    }
    const dependencies = installDependencies({ source: opts.source, appDir: app, snapshotsDir: opts.snapshotsDir });
    const manifest: ReleaseManifest = {
      id: opts.id,
      sha: opts.sha,
      dirty: opts.dirty,
      createdAt: new Date().toISOString(),
      source: opts.source,
      dependencies: dependencies && { snapshot: dependencies.snapshot, packages: dependencies.packages },
    };
    writeFileSync(path.join(staging, 'release.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(staging, dir);
    return { dir, appDir: path.join(dir, 'app'), dependencies };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/** Where release folders and dependency snapshots live (the engine's ReleaseStore is one). */
export interface ReleaseFolders {
  readonly releasesDir: string;
  readonly dependenciesDir: string;
  releaseDir(id: string): string;
}

export interface BuiltRelease {
  id: string;
  appDir: string;
  sha: string | null;
  dirty: boolean;
  durationMs: number;
  /** Absent when the source has no package-lock.json. */
  dependencies: { packages: number; snapshot: 'created' | 'reused' } | undefined;
}

/** Builds the working tree into an immutable release folder and returns its id and app folder. */
export async function buildRelease(
  loaded: LoadedConfig,
  folders: ReleaseFolders,
  onOutput: (line: string) => void,
  skipBuild: boolean,
): Promise<BuiltRelease> {
  const { config, source } = loaded;
  const started = Date.now();
  if (config.build.command && !skipBuild) await runCommand('build.command', config.build.command, { cwd: source }, onOutput);
  const base = releaseId(source);
  const { sha, dirty } = base;
  let id = base.id;
  for (let n = 2; existsSync(folders.releaseDir(id)); n += 1) id = `${base.id}-${n}`;
  const { appDir, dependencies } = assembleRelease({
    source,
    include: config.build.include,
    releasesDir: folders.releasesDir,
    snapshotsDir: folders.dependenciesDir,
    id,
    sha,
    dirty,
  });
  const deps = dependencies
    ? ({ packages: dependencies.packages, snapshot: dependencies.created ? 'created' : 'reused' } as const)
    : undefined;
  return { id, appDir, sha, dirty, durationMs: Date.now() - started, dependencies: deps };
}
