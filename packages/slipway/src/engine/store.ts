import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '@slipway/runtime';
import type { ReleaseEvent, StrategyName } from './events.js';

export interface HistoryEntry {
  id: string;
  /** deploy: a release went through the strategy; rollback: `slipway rollback`; initial: the first release `slipway up` ran. */
  kind: 'deploy' | 'rollback' | 'initial';
  strategy: StrategyName | null;
  result: 'promoted' | 'rolled-back' | 'rollback';
  reason: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The release serving all traffic afterwards. */
  stableAfter: string | null;
}

export interface DeployLock {
  pid: number;
  release: string;
  startedAt: string;
}

export type Decision = 'promote' | 'abort';

/** What the deploy lock names while the release is still being built (it has no id yet). */
export const BUILDING = '(building)';

/**
 * Everything a release leaves on disk under the state folder: `releases/<id>/` (app, events.jsonl, report.html,
 * decision), `history.jsonl`, and `deploy.lock` while a `slipway deploy` runs. Appends are single writes of one
 * line, so a killed process leaves at worst one unfinished last line, which readers skip.
 */
export class ReleaseStore {
  readonly releasesDir: string;
  /** Immutable snapshots of production dependencies, hard-linked into the releases that use them. */
  readonly dependenciesDir: string;
  private readonly historyFile: string;
  private readonly lockFile: string;

  constructor(readonly stateDir: string) {
    this.releasesDir = path.join(stateDir, 'releases');
    this.dependenciesDir = path.join(stateDir, 'dependencies');
    this.historyFile = path.join(stateDir, 'history.jsonl');
    this.lockFile = path.join(stateDir, 'deploy.lock');
    mkdirSync(this.releasesDir, { recursive: true });
  }

  releaseDir(id: string): string {
    return path.join(this.releasesDir, id);
  }

  appDir(id: string): string {
    return path.join(this.releaseDir(id), 'app');
  }

  exists(id: string): boolean {
    return existsSync(path.join(this.releaseDir(id), 'release.json'));
  }

  appendEvent(event: ReleaseEvent): void {
    appendFileSync(path.join(this.releaseDir(event.release), 'events.jsonl'), `${JSON.stringify(event)}\n`);
  }

  events(id: string): ReleaseEvent[] {
    return readJsonLines<ReleaseEvent>(path.join(this.releaseDir(id), 'events.jsonl'));
  }

  /** The last complete event, read from the end of the file (which grows by a metrics sample a second). */
  lastEvent(id: string): ReleaseEvent | null {
    const line = lastLine(path.join(this.releaseDir(id), 'events.jsonl'));
    try {
      return line ? (JSON.parse(line) as ReleaseEvent) : null;
    } catch {
      return null; // an unfinished line from a writer still at work
    }
  }

  history(): HistoryEntry[] {
    return readJsonLines<HistoryEntry>(this.historyFile);
  }

  /** Records a finished release; its times are measured from `startedAt` (epoch ms) to now. */
  appendHistory(entry: Omit<HistoryEntry, 'startedAt' | 'finishedAt' | 'durationMs'> & { startedAt: number }): void {
    const full: HistoryEntry = {
      ...entry,
      startedAt: new Date(entry.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - entry.startedAt,
    };
    appendFileSync(this.historyFile, `${JSON.stringify(full)}\n`);
  }

  /** The release that serves all traffic according to the history (null before the first release). */
  stable(): string | null {
    return this.history().at(-1)?.stableAfter ?? null;
  }

  /** Releases that were stable before the current one, newest first (rollback targets). */
  previousStables(): string[] {
    const seen: string[] = [];
    for (const entry of this.history().reverse()) {
      if (entry.stableAfter && !seen.includes(entry.stableAfter)) seen.push(entry.stableAfter);
    }
    return seen.slice(1).filter((id) => this.exists(id));
  }

  /** Takes the deploy lock, or returns the lock that is in the way. */
  acquireLock(release: string): { acquired: true } | { acquired: false; holder: DeployLock } {
    for (;;) {
      try {
        const fd = openSync(this.lockFile, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, release, startedAt: new Date().toISOString() } satisfies DeployLock));
        closeSync(fd);
        return { acquired: true };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = this.readLock();
        if (holder) return { acquired: false, holder };
        // A lock file from a process that died before writing it: remove and retry.
        rmSync(this.lockFile, { force: true });
      }
    }
  }

  /**
   * Takes over the lock of a deploy whose process (`deadPid`) died, so that one process alone settles what it left;
   * false when another process took it over first. A claim file created exclusively makes the take-over atomic.
   */
  takeOverLock(deadPid: number): boolean {
    const claim = `${this.lockFile}.takeover`;
    try {
      const fd = openSync(claim, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const claimant = Number(readFileSync(claim, 'utf8'));
      if (Number.isInteger(claimant) && claimant > 0 && isProcessAlive(claimant)) return false;
      rmSync(claim, { force: true }); // left by a claimant that died
      return this.takeOverLock(deadPid);
    }
    try {
      const lock = this.readLock();
      if (lock?.pid !== deadPid) return false;
      this.retargetLock(lock.release);
      return true;
    } finally {
      rmSync(claim, { force: true });
    }
  }

  readLock(): DeployLock | null {
    try {
      return JSON.parse(readFileSync(this.lockFile, 'utf8')) as DeployLock;
    } catch {
      return null;
    }
  }

  /** The lock now names the release being deployed (it is taken before the release has an id). */
  retargetLock(release: string): void {
    writeFileSync(this.lockFile, JSON.stringify({ pid: process.pid, release, startedAt: new Date().toISOString() } satisfies DeployLock));
  }

  releaseLock(): void {
    rmSync(this.lockFile, { force: true });
  }

  /**
   * Deletes all but the `keep` newest release folders (never one in `protect`), then the dependency snapshots no
   * remaining release uses. Answers the releases deleted.
   */
  prune(keep: number, protect: ReadonlySet<string>): string[] {
    const releases = readdirSync(this.releasesDir)
      .filter((id) => this.exists(id))
      .map((id) => ({ id, manifest: this.manifest(id) }))
      .sort((a, b) => (b.manifest?.createdAt ?? '').localeCompare(a.manifest?.createdAt ?? ''));
    const doomed = releases.slice(keep).filter((r) => !protect.has(r.id));
    for (const r of doomed) rmSync(this.releaseDir(r.id), { recursive: true, force: true });
    const used = new Set(releases.filter((r) => !doomed.includes(r)).map((r) => r.manifest?.dependencies?.snapshot));
    if (existsSync(this.dependenciesDir))
      for (const snapshot of readdirSync(this.dependenciesDir))
        if (!used.has(snapshot) && !snapshot.includes('.partial'))
          rmSync(path.join(this.dependenciesDir, snapshot), { recursive: true, force: true });
    return doomed.map((r) => r.id);
  }

  private manifest(id: string): { createdAt?: string; dependencies?: { snapshot?: string } | null } | null {
    try {
      return JSON.parse(readFileSync(path.join(this.releaseDir(id), 'release.json'), 'utf8')) as {
        createdAt?: string;
        dependencies?: { snapshot?: string } | null;
      };
    } catch {
      return null;
    }
  }

  writeDecision(id: string, decision: Decision): void {
    writeFileSync(path.join(this.releaseDir(id), 'decision'), decision);
  }

  /** The decision waiting for this release, removed as it is taken; with `only`, any other is left waiting. */
  takeDecision(id: string, only?: Decision): Decision | null {
    const file = path.join(this.releaseDir(id), 'decision');
    if (!existsSync(file)) return null;
    const value = readFileSync(file, 'utf8').trim();
    if (only && value !== only) return null;
    rmSync(file, { force: true });
    return value === 'promote' || value === 'abort' ? value : null;
  }
}

function lastLine(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    for (let chunk = 16 * 1024; ; chunk *= 4) {
      const start = Math.max(0, size - chunk);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8').trimEnd();
      const newline = text.lastIndexOf('\n');
      if (newline !== -1 || start === 0) return text.slice(newline + 1) || null;
    }
  } finally {
    closeSync(fd);
  }
}

function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // an unfinished last line from a killed writer
    }
  }
  return out;
}
