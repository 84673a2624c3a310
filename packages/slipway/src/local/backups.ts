import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMetrics, startMetricsServer } from '@slipway/runtime';
import type { LoadedConfig } from '../config/config.js';
import { forEachLine } from '../lines.js';
import { drillHistoryPath } from '../dr/drill.js';
import { registerBackupMetrics } from '../dr/metrics.js';
import { startBackupSchedule, type ScheduledJob } from '../dr/schedule.js';
import type { BackupSetup } from '../dr/settings.js';

// What `slipway up` does for backups while it runs: serves their metrics on a loopback port, and runs `slipway backup`
// and `slipway drill` when backup.schedule says they are due.

export interface BackupOperations {
  metricsUrl: string | null;
  close(): Promise<void>;
}

export async function startBackupOperations(
  loaded: LoadedConfig,
  setup: BackupSetup,
  superuserUrl: string,
  log: (level: 'info' | 'warn', message: string) => void,
): Promise<BackupOperations> {
  const drillHistoryFile = drillHistoryPath(loaded.stateDir);
  let server: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  if (setup.config.metricsPort !== false) {
    const metrics = createMetrics({ service: 'slipway', version: 'up' });
    registerBackupMetrics(metrics, { setup, databaseUrl: superuserUrl, drillHistoryFile });
    server = await startMetricsServer(metrics, { port: setup.config.metricsPort, host: '127.0.0.1' }).catch((err: Error) => {
      log('warn', `backup metrics not served on 127.0.0.1:${setup.config.metricsPort} (backup.metricsPort): ${err.message}`);
      return null;
    });
  }
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const run = (job: ScheduledJob) =>
    new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [cli, '-c', loaded.file, '--state-dir', loaded.stateDir, job], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      forEachLine(child.stdout, (line) => log('info', `${job}: ${line}`));
      forEachLine(child.stderr, (line) => log('warn', `${job}: ${line}`));
      child.once('close', (code) => {
        log(code === 0 ? 'info' : 'warn', `scheduled ${job} ${code === 0 ? 'done' : `failed (exit ${code})`}`);
        resolve();
      });
    });
  const schedule = startBackupSchedule({ setup, drillHistoryFile, run, log });
  return {
    metricsUrl: server ? `http://127.0.0.1:${server.port}/metrics` : null,
    async close() {
      schedule.stop();
      await server?.close();
    },
  };
}
