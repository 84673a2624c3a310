import { existsSync, readFileSync } from 'node:fs';
import type { Metrics } from '@slipway/runtime';
import { listBackups, type BackupManifest } from './base-backup.js';
import type { DrillResult } from './drill.js';
import type { BackupSetup } from './settings.js';
import { queryOnce } from './sql.js';

// What `slipway up` tells Prometheus about backups (read from the repository), WAL archiving (PostgreSQL's
// pg_stat_archiver) and drills (drills/history.jsonl): the figures deploy/monitoring/rules/backups.rules.yml alerts on.
// Everything is read at scrape time; the repository's listing is kept for a minute.

const LISTING_TTL_MS = 60_000;

export interface BackupMetricSources {
  setup: BackupSetup;
  /** A superuser URL of the embedded server. */
  databaseUrl: string;
  drillHistoryFile: string;
}

/** The newest line of a JSON-lines history, or null. */
export function lastDrill(file: string): DrillResult | null {
  if (!existsSync(file)) return null;
  const line = readFileSync(file, 'utf8').trim().split('\n').at(-1);
  return line ? (JSON.parse(line) as DrillResult) : null;
}

const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : 0);

export function registerBackupMetrics(metrics: Metrics, sources: BackupMetricSources): void {
  const { setup } = sources;
  let listing: { at: number; backups: BackupManifest[] } | null = null;
  const backups = async () => {
    if (!listing || Date.now() - listing.at > LISTING_TTL_MS)
      listing = { at: Date.now(), backups: await listBackups(setup.repository, setup.seal.key) };
    return listing.backups;
  };
  const schedule = setup.config.schedule;

  metrics.gauge('slipway_backup_last_success_timestamp_seconds', 'When the newest base backup ended (0: none yet).', [], async (g) => {
    g.set(seconds((await backups()).at(-1)?.stoppedAt));
  });
  metrics.gauge('slipway_backup_count', 'Base backups in the repository.', [], async (g) => g.set((await backups()).length));
  metrics.gauge('slipway_backup_stored_bytes', 'Bytes the base backups take in the repository.', [], async (g) => {
    g.set((await backups()).reduce((sum, b) => sum + b.bytes.stored, 0));
  });
  metrics.gauge('slipway_backup_schedule_seconds', 'How often a base backup is due (0: not scheduled).', [], (g) => {
    g.set(schedule.backup === false ? 0 : schedule.backup / 1000);
  });

  const archiver = async () => {
    const rows = await queryOnce<{
      archived: string;
      failed: string;
      last_archived: Date | null;
      last_failed: Date | null;
      lag: number | null;
    }>(
      sources.databaseUrl,
      `SELECT archived_count AS archived, failed_count AS failed, last_archived_time AS last_archived, last_failed_time AS last_failed,
                greatest(0, extract(epoch FROM (pg_last_committed_xact()).timestamp - last_archived_time))::float8 AS lag
           FROM pg_stat_archiver`,
    );
    return rows[0]!;
  };
  let read: ReturnType<typeof archiver> | null = null;
  // One query per scrape for all the archiver's gauges.
  const stats = () => (read ??= archiver().finally(() => setTimeout(() => (read = null), 1_000)));
  metrics.gauge('slipway_wal_archived_segments', 'WAL files archived since the server started (pg_stat_archiver).', [], async (g) => {
    g.set(Number((await stats()).archived));
  });
  metrics.gauge('slipway_wal_archive_failures', 'Failed attempts to archive a WAL file since the server started.', [], async (g) => {
    g.set(Number((await stats()).failed));
  });
  metrics.gauge('slipway_wal_last_archived_timestamp_seconds', 'When the last WAL file was archived (0: none).', [], async (g) => {
    g.set(seconds((await stats()).last_archived?.toISOString()));
  });
  metrics.gauge('slipway_wal_last_failed_timestamp_seconds', 'When archiving last failed (0: never).', [], async (g) => {
    g.set(seconds((await stats()).last_failed?.toISOString()));
  });
  metrics.gauge(
    'slipway_wal_archive_lag_seconds',
    'The last commit minus the last archived WAL file, in seconds (0 when all is archived).',
    [],
    async (g) => {
      g.set((await stats()).lag ?? 0);
    },
  );

  // The history is read once per scrape for the five drill gauges.
  let drillRead: { at: number; drill: DrillResult | null } | null = null;
  const drill = () => {
    if (!drillRead || Date.now() - drillRead.at > 1_000) drillRead = { at: Date.now(), drill: lastDrill(sources.drillHistoryFile) };
    return drillRead.drill;
  };
  metrics.gauge('slipway_drill_last_timestamp_seconds', 'When the last restore drill finished (0: none yet).', [], (g) =>
    g.set(seconds(drill()?.finishedAt)),
  );
  metrics.gauge(
    'slipway_drill_last_success',
    'Whether the last restore drill passed (1) or failed (0; also before the first).',
    [],
    (g) => {
      g.set(drill()?.passed ? 1 : 0);
    },
  );
  metrics.gauge('slipway_drill_rto_seconds', "The last drill's recovery time: from the restore's start to the copy answering.", [], (g) => {
    const rto = drill()?.rtoSeconds;
    if (rto !== undefined && rto !== null) g.set(rto);
  });
  metrics.gauge('slipway_drill_rpo_seconds', "The last drill's recovery point: commits the copy lacked, in seconds.", [], (g) => {
    const rpo = drill()?.rpoSeconds;
    if (rpo !== undefined && rpo !== null) g.set(rpo);
  });
  metrics.gauge('slipway_drill_schedule_seconds', 'How often a drill is due (0: not scheduled).', [], (g) => {
    g.set(schedule.drill === false ? 0 : schedule.drill / 1000);
  });
}
