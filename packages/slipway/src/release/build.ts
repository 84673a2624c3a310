import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

interface ReleaseManifest {
  id: string;
  sha: string | null;
  dirty: boolean;
  createdAt: string;
  source: string;
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
 * Copies the built files into `<releasesDir>/<id>/app` (written under a temporary name and renamed, so a
 * release folder is either complete or absent) and gives it a node_modules in which workspace packages point
 * at the release's own copies: the release never runs the working tree's code.
 */
export function assembleRelease(opts: {
  source: string;
  include: string[];
  releasesDir: string;
  id: string;
  sha: string | null;
  dirty: boolean;
}): {
  dir: string;
  appDir: string;
} {
  const dir = path.join(opts.releasesDir, opts.id);
  if (existsSync(dir)) throw new BuildError(`release ${opts.id} already exists in ${opts.releasesDir}`);
  const staging = `${dir}.partial`;
  const app = path.join(staging, 'app');
  mkdirSync(app, { recursive: true });
  for (const rel of opts.include) {
    const from = path.join(opts.source, rel);
    if (!existsSync(from)) throw new BuildError(`build.include: ${rel} does not exist in ${opts.source} (did the build run?)`);
    cpSync(from, path.join(app, rel), { recursive: true });
  }
  linkNodeModules(path.join(opts.source, 'node_modules'), path.join(app, 'node_modules'), opts.source, app);
  const manifest: ReleaseManifest = {
    id: opts.id,
    sha: opts.sha,
    dirty: opts.dirty,
    createdAt: new Date().toISOString(),
    source: opts.source,
  };
  writeFileSync(path.join(staging, 'release.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(staging, dir);
  return { dir, appDir: path.join(dir, 'app') };
}

function linkNodeModules(from: string, to: string, source: string, app: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('.')) continue;
    const full = path.join(from, entry);
    if (entry.startsWith('@') && lstatSync(full).isDirectory() && !lstatSync(full).isSymbolicLink()) {
      linkNodeModules(full, path.join(to, entry), source, app);
      continue;
    }
    let target = full;
    if (lstatSync(full).isSymbolicLink()) {
      // A workspace package: use the release's copy of it when the build included it.
      const rel = path.relative(source, path.resolve(path.dirname(full), readlinkSync(full)));
      const copy = path.join(app, rel);
      // relative, so the link survives the staging folder's rename
      target = !rel.startsWith('..') && existsSync(copy) ? path.relative(to, copy) : realpathSync(full);
    }
    symlinkSync(target, path.join(to, entry));
  }
}
