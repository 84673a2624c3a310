import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
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

const identity = z.object({ pid: z.number().int().positive(), startTime: z.string() });
const savedProcess = z.object({
  service: z.string(),
  index: z.number().int(),
  port: z.number().int(),
  metricsPort: z.number().int(),
  identity: identity.nullable(),
});
const upState = z.object({
  router: z
    .object({
      identity,
      port: z.number().int(),
      socket: z.string(),
      token: z.string(),
      settings: z
        .object({
          host: z.string(),
          port: z.number().int(),
          stickyCookie: z.union([z.string(), z.literal(false)]),
          drainTimeoutMs: z.number(),
          tls: z
            .object({ cert: z.string(), key: z.string(), redirectPort: z.number().optional(), hstsMaxAge: z.number().optional() })
            .optional(),
        })
        .optional(),
    })
    .nullable(),
  releases: z.array(
    z.object({
      id: z.string(),
      appDir: z.string(),
      overrides: z.record(z.string(), z.string()),
      version: z.string(),
      retiresAt: z.string().nullable(),
      replicas: z.array(savedProcess),
      singletons: z.array(savedProcess),
    }),
  ),
  weights: z.record(z.string(), z.number()),
});

/** What an earlier `slipway up` left (null: nothing). A file that is not such a map is refused, naming it. */
export function readUpState(stateDir: string): UpState | null {
  const file = path.join(stateDir, FILE);
  if (!existsSync(file)) return null;
  let parsed;
  try {
    parsed = upState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}); the processes it names may still run: stop them, then remove it`,
    );
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}; the processes it names may still run: stop them, then remove it`);
  }
  return parsed.data;
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
