import path from 'node:path';
import { checkMigrations, describeRefusal } from '../migrations/safety.js';
import { runCommand } from '../release/command.js';
import { createRestorePoint, pendingMigrations } from '../release/database.js';
import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';

/**
 * The release's pending migrations, checked by the safety lint, then (after a restore point) applied; nothing
 * when no migrations are configured. A refused or failed migration rolls the release back.
 */
export async function migrate(ctx: EngineContext, release: string, appDir: string, emit: Emit): Promise<void> {
  const { config } = ctx.loaded;
  const migrations = config.migrations;
  if (!migrations) return;
  const { databaseUrl } = await ctx.backend.state();
  if (databaseUrl === null) throw new RollBack('migrations are configured but slipway up runs no database');
  const pending = await pendingMigrations(databaseUrl, path.join(appDir, migrations.dir), migrations.table);
  const report = await checkMigrations(pending, migrations.contract);
  const line = (f: { file: string; line: number; statement: string; rule: string }) =>
    `${path.basename(f.file)}:${f.line}: ${f.statement} (${f.rule})`;
  emit({
    type: 'migrations-checked',
    pending: pending.map((p) => p.name),
    refused: report.refused.map(line),
    warnings: report.warnings.map(line),
    allowedContract: report.allowedContract.map(line),
  });
  if (report.refused.length > 0) throw new RollBack(`migration refused by the safety lint:\n${describeRefusal(report)}`);
  if (pending.length === 0) return;
  const name = `slipway-${release}`;
  emit({ type: 'restore-point-created', name, lsn: await createRestorePoint(databaseUrl, name) });
  const clock = clockOf(ctx);
  const started = clock.now();
  await runCommand(
    'migrations.command',
    migrations.command,
    { cwd: appDir, env: { [config.databaseEnv]: databaseUrl }, timeoutMs: config.timeouts.migrations },
    ctx.onOutput,
  ).catch((err: Error) => {
    throw new RollBack(err.message);
  });
  emit({ type: 'migrations-applied', applied: pending.map((p) => p.name), durationMs: clock.now() - started });
}
