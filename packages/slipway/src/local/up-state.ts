import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Weights } from '../engine/events.js';
import type { ProcessIdentity } from './process-identity.js';
import type { RouterRecord } from './router-process.js';

/** One replica or singleton as `slipway up` left it: enough for the next one to adopt (or restart) it. */
export interface SavedProcess {
  service: string;
  index: number;
  port: number;
  metricsPort: number;
  /** null while it was not running (back-off). */
  identity: ProcessIdentity | null;
}

export interface SavedRelease {
  id: string;
  appDir: string;
  overrides: Record<string, string>;
  /** What the release's processes are told their version is (a baseline runs the stable release's code). */
  version: string;
  /** A release kept warm after it was replaced stops at this time (ISO); null: it stays. */
  retiresAt: string | null;
  replicas: SavedProcess[];
  singletons: SavedProcess[];
}

/** Everything `slipway up` runs, rewritten on every change, so that a supervisor that dies leaves a map behind. */
export interface UpState {
  router: RouterRecord | null;
  releases: SavedRelease[];
  weights: Weights;
}

const FILE = 'up-state.json';

export function readUpState(stateDir: string): UpState | null {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, FILE), 'utf8')) as UpState;
  } catch {
    return null;
  }
}

/** Written under a temporary name and renamed: a reader sees the old map or the new one, never half of one. */
export function writeUpState(stateDir: string, state: UpState): void {
  const file = path.join(stateDir, FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

export function removeUpState(stateDir: string): void {
  rmSync(path.join(stateDir, FILE), { force: true });
}
