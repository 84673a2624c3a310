import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderRepository } from './repository.js';
import { startBackupSchedule, type ScheduledJob } from './schedule.js';
import { seal } from './sealed.js';
import type { BackupSetup } from './settings.js';

// The schedule over a real folder repository and drill history; the jobs themselves are recorded, not run.

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function fixture(schedule: { backup: number | false; drill: number | false }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-schedule-'));
  dirs.push(dir);
  const repository = new FolderRepository(path.join(dir, 'repo'));
  const setup = { repository, seal: { compress: false, key: null }, keyFile: null, config: { schedule } } as unknown as BackupSetup;
  const history = path.join(dir, 'drills', 'history.jsonl');
  const backupEnded = (at: Date) =>
    repository.put(
      `base/${at.getTime()}/manifest.json`,
      seal(
        Buffer.from(JSON.stringify({ id: String(at.getTime()), startedAt: at.toISOString(), stoppedAt: at.toISOString() })),
        setup.seal,
        `base/${at.getTime()}/manifest.json`,
      ),
    );
  const drillFinished = (at: Date) => {
    mkdirSync(path.dirname(history), { recursive: true });
    writeFileSync(history, `${JSON.stringify({ finishedAt: at.toISOString(), passed: true })}\n`);
  };
  return { setup, history, backupEnded, drillFinished };
}

async function jobsRun(f: ReturnType<typeof fixture>): Promise<ScheduledJob[]> {
  const jobs: ScheduledJob[] = [];
  const schedule = startBackupSchedule({
    setup: f.setup,
    drillHistoryFile: f.history,
    run: async (job) => void jobs.push(job),
    log: () => undefined,
    checkEveryMs: 10,
  });
  await new Promise((r) => setTimeout(r, 100));
  schedule.stop();
  return jobs;
}

describe('the backup schedule of slipway up', () => {
  it('takes a backup when there is none, then drills when none has run', async () => {
    const f = fixture({ backup: 3_600_000, drill: 3_600_000 });
    expect((await jobsRun(f))[0]).toBe('backup');
    await f.backupEnded(new Date());
    expect(await jobsRun(f)).toEqual(['drill']);
  });

  it('does nothing while the newest backup and the last drill are within their intervals', async () => {
    const f = fixture({ backup: 3_600_000, drill: 3_600_000 });
    await f.backupEnded(new Date(Date.now() - 60_000));
    f.drillFinished(new Date(Date.now() - 60_000));
    expect(await jobsRun(f)).toEqual([]);
  });

  it('takes a backup once the newest is older than its interval, and does not retry a job at once', async () => {
    const f = fixture({ backup: 60_000, drill: false });
    await f.backupEnded(new Date(Date.now() - 120_000));
    expect(await jobsRun(f)).toEqual(['backup']);
  });

  it('runs nothing that is not scheduled', async () => {
    expect(await jobsRun(fixture({ backup: false, drill: false }))).toEqual([]);
  });
});
