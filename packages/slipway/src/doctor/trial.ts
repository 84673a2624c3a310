import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dropDatabase, ensureDatabase, startEmbeddedPostgres } from '@slipway/runtime';
import { embeddedDataDir, type LoadedConfig } from '../config/config.js';
import { ReleaseStore } from '../engine/store.js';
import { assembleRelease, releaseId } from '../release/build.js';
import { runCommand } from '../release/command.js';
import type { DoctorProgress, Finding } from './findings.js';

/** A release folder made from the working tree as `slipway up` would make it, removed by `remove()`. */
export interface TrialRelease {
  id: string;
  dir: string;
  appDir: string;
  remove(): void;
}

/** Where the doctor's trial releases live (not among the real releases: history and rollbacks never see them). */
export const trialsDir = (stateDir: string) => path.join(stateDir, 'doctor');

/**
 * Runs build.command (unless `build` is false) and assembles a release folder from build.include, with the
 * production dependencies from package-lock.json: what a release of the working tree would hold.
 */
export async function makeTrialRelease(
  loaded: LoadedConfig,
  build: boolean,
  progress: (p: DoctorProgress) => void,
): Promise<TrialRelease | Finding> {
  const { config, source, stateDir } = loaded;
  if (build && config.build.command) {
    progress({ step: 'build', message: `building: ${config.build.command.join(' ')}` });
    try {
      await runCommand('build.command', config.build.command, { cwd: source }, () => undefined);
    } catch (err) {
      const [title, ...detail] = (err as Error).message.split('\n');
      return {
        kind: 'build-failed',
        title: title!,
        detail,
        fix: 'make `build.command` pass in the working tree (or run doctor with --no-build)',
      };
    }
  }
  progress({ step: 'release', message: `assembling a release folder from build.include (${config.build.include.join(', ')})` });
  const id = `doctor-${releaseId(source).id}-${process.pid}`;
  const releasesDir = trialsDir(stateDir);
  try {
    const { dir, appDir } = assembleRelease({
      source,
      include: config.build.include,
      releasesDir,
      snapshotsDir: new ReleaseStore(stateDir).dependenciesDir,
      id,
      sha: null,
      dirty: false,
    });
    const remove = () => {
      rmSync(dir, { recursive: true, force: true });
      // The folder of trials goes too once no other doctor uses it.
      if (readdirSync(releasesDir).length === 0) rmSync(releasesDir, { recursive: true, force: true });
    };
    return { id, dir, appDir, remove };
  } catch (err) {
    return {
      kind: 'release-incomplete',
      title: `a release folder cannot be made: ${(err as Error).message}`,
      detail: [],
      fix: 'list in build.include every file and folder the service needs at run time (after the build), and keep package-lock.json beside package.json',
    };
  }
}

/** The database URL the service gets, as `slipway up` would give it; `stop` leaves a server it did not start running. */
export async function trialDatabase(
  loaded: LoadedConfig,
  appDir: string,
  progress: (p: DoctorProgress) => void,
): Promise<{ url: string | null; notes: string[]; stop(): Promise<void> } | Finding> {
  const { config } = loaded;
  const none = { notes: [], stop: async () => undefined };
  if (config.database === false) return { url: null, ...none };
  if ('url' in config.database)
    return {
      url: config.database.url,
      notes: ['migrations were not run against database.url (doctor only runs them on the embedded database)'],
      stop: none.stop,
    };
  progress({ step: 'database', message: 'starting the embedded PostgreSQL (or attaching to the one slipway up runs)' });
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    server = await startEmbeddedPostgres({ dataDir: embeddedDataDir(loaded)! });
    // A database of its own, dropped afterwards: the server may be the one slipway up runs, and the working tree's
    // migrations must never reach the live database without a deploy's safety lint and restore point.
    const name = `${config.database.embedded.name}_doctor_${process.pid}`;
    const adminUrl = server.url;
    const url = await ensureDatabase(adminUrl, name);
    const stop = async () => {
      await dropDatabase(adminUrl, name).catch(() => undefined);
      await server!.stop();
    };
    if (config.migrations) {
      progress({ step: 'database', message: `migrating: ${config.migrations.command.join(' ')}` });
      await runCommand(
        'migrations.command',
        config.migrations.command,
        { cwd: appDir, env: { [config.databaseEnv]: url } },
        () => undefined,
      );
    }
    return { url, notes: [`the service ran against a throwaway database (${name}), dropped afterwards`], stop };
  } catch (err) {
    await server?.stop();
    const [title, ...detail] = (err as Error).message.split('\n');
    return {
      kind: 'database',
      title: `the database is not ready for the service: ${title}`,
      detail,
      fix: 'see database and migrations in slipway.config.ts',
    };
  }
}

export function isFinding<T extends object>(value: T | Finding): value is Finding {
  return 'kind' in value && 'fix' in value;
}
