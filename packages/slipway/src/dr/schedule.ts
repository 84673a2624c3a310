import { newestBackup } from './base-backup.js';
import { lastDrill } from './metrics.js';
import type { BackupSetup } from './settings.js';

// `slipway up` takes base backups and runs drills by itself when they are due (backup.schedule): due means the newest
// backup, or the last drill, is older than its interval (or there is none). One job at a time; each runs as its own
// `slipway backup` / `slipway drill` process, so a failing one never takes the supervisor down with it.

export type ScheduledJob = 'backup' | 'drill';

export interface BackupSchedule {
  stop(): void;
}

export function startBackupSchedule(options: {
  setup: BackupSetup;
  drillHistoryFile: string;
  run(job: ScheduledJob): Promise<void>;
  log(level: 'info' | 'warn', message: string): void;
  /** How often it looks whether something is due. */
  checkEveryMs?: number;
}): BackupSchedule {
  const { schedule } = options.setup.config;
  let running = false;
  let stopped = false;
  // A job that failed is not tried again for a while: its alert says so meanwhile.
  const retryAfterMs = 5 * 60_000;
  const attempted: Partial<Record<ScheduledJob, number>> = {};

  const due = async (): Promise<ScheduledJob | null> => {
    if (schedule.backup !== false) {
      const newest = await newestBackup(options.setup.repository, options.setup.seal.key);
      if (!newest || Date.now() - Date.parse(newest.stoppedAt) >= schedule.backup) return 'backup';
    }
    if (schedule.drill !== false) {
      const last = lastDrill(options.drillHistoryFile);
      if (!last || Date.now() - Date.parse(last.finishedAt) >= schedule.drill) return 'drill';
    }
    return null;
  };

  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      const job = await due();
      if (job && !stopped && Date.now() - (attempted[job] ?? 0) >= retryAfterMs) {
        attempted[job] = Date.now();
        options.log('info', `scheduled ${job} starting (backup.schedule.${job})`);
        await options.run(job);
      }
    } catch (err) {
      options.log('warn', `scheduled backup work failed: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.checkEveryMs ?? 30_000);
  timer.unref();
  void tick();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
