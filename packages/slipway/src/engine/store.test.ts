import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReleaseEvent } from './events.js';
import { ReleaseStore } from './store.js';
import { deadPid } from './testing/engine-harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): ReleaseStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-store-'));
  dirs.push(dir);
  const s = new ReleaseStore(dir);
  mkdirSync(s.releaseDir('r1'), { recursive: true }); // made by the build in real use
  return s;
}

const log = (message: string): ReleaseEvent => ({ type: 'log', level: 'info', message, at: '2026-01-01T00:00:00.000Z', release: 'r1' });

describe('ReleaseStore.lastEvent', () => {
  it('reads the last event from the end of the file, also when it is longer than one read', () => {
    const s = store();
    expect(s.lastEvent('r1')).toBeNull();
    s.appendEvent(log('first'));
    expect(s.lastEvent('r1')).toEqual(log('first'));
    const long = log(`é${'x'.repeat(100_000)}`);
    s.appendEvent(long);
    expect(s.lastEvent('r1')).toEqual(long);
    expect(s.lastEvent('r1')).toEqual(s.events('r1').at(-1));
  });

  it('answers null for an unfinished last line', () => {
    const s = store();
    s.appendEvent(log('first'));
    appendFileSync(path.join(s.releaseDir('r1'), 'events.jsonl'), '{"type":"log","lev');
    expect(s.lastEvent('r1')).toBeNull();
  });
});

describe('ReleaseStore.prune', () => {
  it('keeps the newest releases and the protected ones, and the dependency snapshots they use', () => {
    const s = store();
    rmSync(s.releaseDir('r1'), { recursive: true });
    const release = (id: string, minute: number, snapshot: string) => {
      mkdirSync(s.releaseDir(id), { recursive: true });
      const createdAt = `2026-11-30T10:${String(minute).padStart(2, '0')}:00.000Z`;
      writeFileSync(path.join(s.releaseDir(id), 'release.json'), JSON.stringify({ id, createdAt, dependencies: { snapshot } }));
      mkdirSync(path.join(s.dependenciesDir, snapshot), { recursive: true });
    };
    release('old-running', 1, 'a');
    release('old', 2, 'b');
    release('older', 0, 'b');
    release('new', 3, 'c');
    release('newest', 4, 'c');
    expect(s.prune(2, new Set(['old-running'])).sort()).toEqual(['old', 'older']);
    expect(readdirSync(s.releasesDir).sort()).toEqual(['new', 'newest', 'old-running']);
    expect(readdirSync(s.dependenciesDir).sort()).toEqual(['a', 'c']);
  });

  it('lets one process alone take over the lock of a deploy whose process died', () => {
    const s = store();
    const dead = deadPid();
    writeFileSync(path.join(s.stateDir, 'deploy.lock'), JSON.stringify({ pid: dead, release: 'r1', startedAt: '' }));
    // A claim left by a claimant that died does not stand in the way.
    writeFileSync(path.join(s.stateDir, 'deploy.lock.takeover'), String(deadPid()));
    expect(s.takeOverLock(dead)).toBe(true);
    expect(s.readLock()).toMatchObject({ pid: process.pid, release: 'r1' });
    expect(s.takeOverLock(dead)).toBe(false);
    // A live claimant's claim: another process is taking it over right now.
    writeFileSync(path.join(s.stateDir, 'deploy.lock'), JSON.stringify({ pid: dead, release: 'r1', startedAt: '' }));
    writeFileSync(path.join(s.stateDir, 'deploy.lock.takeover'), String(process.ppid));
    expect(s.takeOverLock(dead)).toBe(false);
  });
});
