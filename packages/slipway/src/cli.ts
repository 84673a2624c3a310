#!/usr/bin/env node
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { backupCommand, backupsCommand, drillCommand, reindexCommand, restoreCommand } from './commands/backup.js';
import { dashboardCommand } from './commands/dashboard.js';
import { BackupNotConfiguredError } from './dr/settings.js';
import { KeyError } from './dr/keys.js';
import { MissingFileError, RefusedOverwriteError } from './dr/repository.js';
import { RestoreRefusedError } from './dr/restore.js';
import { BackupRefusedError } from './dr/base-backup.js';
import { DamagedFileError } from './dr/sealed.js';
import { decideCommand, decideFromDashboard, deployCommand, historyCommand, rollbackCommand, statusCommand } from './commands/release.js';
import { registerInitAndDoctor } from './commands/init-cli.js';
import {
  kubernetesDecideCommand,
  kubernetesDeployCommand,
  kubernetesHistoryCommand,
  kubernetesRollbackCommand,
  kubernetesStatusCommand,
} from './commands/kubernetes.js';
import { KubernetesUsageError } from './kubernetes/commands.js';
import { ClusterCommandError } from './kubernetes/helm-cluster.js';
import { PrometheusError } from './kubernetes/prometheus.js';
import { EXIT } from './exit-codes.js';
import { DeployBlockedError } from './engine/context.js';
import { STRATEGIES } from './config/schema.js';
import type { StrategyName } from './engine/events.js';
import { ControlUnavailableError } from './local/control.js';
import { runDown } from './local/down.js';
import { systemdUnit } from './local/systemd.js';
import { AlreadyRunningError, runUp } from './local/up.js';
import { loadSlipwayConfig, SlipwayConfigError } from './config/config.js';
import { configuredSuite } from './smoke/declarative.js';
import { smokeCommand, UsageError, type SmokeCommandOptions } from './smoke/command.js';
import { smokeTokenFile } from './smoke/secrets.js';
import { readRunningStack, smokeAddress } from './commands/smoke-address.js';

type SmokeFlags = Omit<SmokeCommandOptions, 'metricsPort' | 'target' | 'tokenFile' | 'about'> & { target?: string; tokenFile?: string };

const configOf = (cwd = process.cwd()) => {
  const global = program.opts<{ config?: string; stateDir?: string }>();
  return loadSlipwayConfig(cwd, global.config, global.stateDir);
};

const program = new Command()
  .name('slipway')
  .description('Release, test and operate TypeScript web services')
  .option('-c, --config <file>', 'path to slipway.config.ts (default: found from the current folder upwards)')
  .option(
    '--state-dir <dir>',
    'where releases, history, the control socket and the embedded database live (default: stateDir in the config)',
  )
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerInitAndDoctor(program, configOf);

program
  .command('smoke')
  .description('run the service’s smoke suite (smoke.suite and smoke.checks) against a running release')
  .option('--target <url>', 'base URL of the release under test (default: a ready replica of the running stack’s stable release)')
  .option('--token-file <file>', 'synthetic users’ API tokens (one token, or a JSON object of named tokens)')
  .option(
    '--metrics-url <url>',
    'the release’s /metrics (default: the replica’s when the target is on the running stack, else the target host on smoke.metricsPort)',
  )
  .option(
    '--expect-version <version>',
    'the version label the release’s metrics must carry (default without --target: the stable release’s)',
  )
  .option('--junit <file>', 'also write a JUnit XML report')
  .option('--json', 'print the result as JSON instead of lines', false)
  .option('--timeout <duration>', 'budget for the whole run', '60s')
  .action(async (opts: SmokeFlags) => {
    const loaded = await configOf();
    // The release folder is made from `source`, so the suite is found where a deploy finds it.
    const suite = await configuredSuite(loaded.config.smoke, (p) => path.resolve(loaded.source, p));
    const address = smokeAddress(opts, await readRunningStack(loaded));
    const tokenFile = smokeTokenFile(opts.tokenFile, loaded);
    process.exitCode = await smokeCommand(suite, { ...opts, ...address, tokenFile, metricsPort: loaded.config.smoke.metricsPort });
  });

const json = (cmd: Command) => cmd.option('--json', 'machine-readable output (JSON, or JSON lines for events)', false);

interface TargetFlags {
  target: string;
  env?: string;
}
/** --target and --env: where the command acts, this machine's `slipway up` or a Kubernetes environment. */
const targeted = (cmd: Command) =>
  cmd
    .option('--target <where>', 'local (slipway up on this machine) or kubernetes', 'local')
    .option('--env <name>', 'with --target kubernetes: the environment (kubernetes.environments in the config)');

function onKubernetes(opts: TargetFlags): boolean {
  if (opts.target === 'kubernetes') return true;
  if (opts.target !== 'local') throw new UsageError(`--target: "${opts.target}" is not local or kubernetes`);
  if (opts.env !== undefined) throw new UsageError('--env: only with --target kubernetes');
  return false;
}

json(
  program
    .command('up')
    .description('run the stable release: database, migrations, replicas, worker, router on the public port, control socket')
    .option('--port <port>', 'public port of the router (default: the PORT environment variable, else router.port in the config)')
    .option('--no-build', 'when there is no release yet, ship the working tree without running build.command')
    .option('--dashboard-port <port>', 'loopback port of the release dashboard (default: any free port)', '0'),
).action(async (opts: { port?: string; build: boolean; json: boolean; dashboardPort: string }) => {
  const loaded = await configOf();
  const port = routerPort(opts.port, process.env.PORT);
  const dashboard = {
    port: parsePort('--dashboard-port', opts.dashboardPort),
    decide: (release: string, action: 'promote' | 'abort', log: (line: string) => void) =>
      decideFromDashboard(loaded, release, action, log),
  };
  await runUp(loaded, { port, build: opts.build, pretty: !opts.json && process.stdout.isTTY === true, dashboard });
});

json(program.command('dashboard').description('print a one-time sign-in link to the release dashboard of slipway up')).action(
  async (opts: { json: boolean }) => {
    process.exitCode = await dashboardCommand(await configOf(), opts);
  },
);

program
  .command('down')
  .description('stop slipway up as Ctrl-C would, or stop what one that died left running (router, replicas, database)')
  .action(async () => {
    process.stdout.write(`${await runDown(await configOf())}\n`);
  });

program
  .command('systemd-unit')
  .description('print a systemd unit that runs slipway up as a service (Restart=always; survives its own crashes)')
  .option('--user <name>', 'the user the service runs as (default: the current user)')
  .action(async (opts: { user?: string }) => {
    process.stdout.write(systemdUnit(await configOf(), opts.user));
  });

targeted(
  json(
    program
      .command('deploy')
      .description(
        'build the working tree and release it: lint migrations, migrate, start the candidate, smoke, shift traffic, analyse, promote or roll back',
      )
      .option('--strategy <name>', 'blue-green, canary or rolling (default: strategy.type in the config)')
      .option('--set <KEY=VALUE>', 'environment override for the candidate only (repeatable)', collect, [])
      .option('--no-build', 'ship the working tree as it is, without running build.command')
      .option('-y, --yes', 'do not ask for confirmation on a terminal', false),
  ),
)
  .option('--version <tag>', 'with --target kubernetes: the image tag to release')
  .option('--dry-run', 'with --target kubernetes: print the commands and the rendered manifests, change nothing', false)
  .action(
    async (
      opts: TargetFlags & {
        strategy?: string;
        set: string[];
        build: boolean;
        yes: boolean;
        json: boolean;
        version?: string;
        dryRun: boolean;
      },
    ) => {
      const loaded = await configOf();
      if (onKubernetes(opts)) {
        if (opts.strategy !== undefined || opts.set.length > 0)
          throw new UsageError(
            `${opts.strategy !== undefined ? '--strategy' : '--set'}: not with --target kubernetes (the chart's values and the config decide)`,
          );
        const ask = !opts.dryRun && !opts.yes && !opts.json && process.stdin.isTTY === true;
        process.exitCode = await kubernetesDeployCommand(loaded, { ...opts, ...(ask && { confirm }) });
        return;
      }
      if (opts.version !== undefined || opts.dryRun)
        throw new UsageError(`${opts.dryRun ? '--dry-run' : '--version'}: only with --target kubernetes`);
      const strategy = opts.strategy === undefined ? undefined : parseStrategy(opts.strategy);
      const overrides = parseOverrides(opts.set);
      if (
        !opts.yes &&
        !opts.json &&
        process.stdin.isTTY &&
        !(await confirm(`Release the working tree of ${loaded.source} with ${strategy ?? loaded.config.strategy.type}?`))
      ) {
        process.stderr.write('slipway: not deployed\n');
        process.exitCode = 1;
        return;
      }
      process.exitCode = await deployCommand(loaded, { json: opts.json, strategy, overrides, build: opts.build });
    },
  );

for (const action of ['promote', 'abort'] as const) {
  const what =
    action === 'promote'
      ? 'continue a paused release (or finish an interrupted one); on Kubernetes, promote its Argo Rollouts Rollout'
      : 'roll back the release being deployed (paused, running or interrupted); on Kubernetes, abort its Argo Rollouts Rollout';
  targeted(json(program.command(action).description(what))).action(async (opts: TargetFlags & { json: boolean }) => {
    const loaded = await configOf();
    process.exitCode = onKubernetes(opts) ? await kubernetesDecideCommand(loaded, action, opts) : await decideCommand(loaded, action, opts);
  });
}
targeted(
  json(
    program
      .command('rollback')
      .description('put all traffic back on the previous release at once (no analysis); on Kubernetes, helm rollback')
      .option('--to <id>', 'the release (on Kubernetes: the Helm revision) to return to (default: the one before the current)'),
  ),
).action(async (opts: TargetFlags & { to?: string; json: boolean }) => {
  const loaded = await configOf();
  process.exitCode = onKubernetes(opts) ? await kubernetesRollbackCommand(loaded, opts) : await rollbackCommand(loaded, opts);
});
targeted(
  json(
    program
      .command('status')
      .description('releases running, weights, the deploy in progress and its last analysis; on Kubernetes, the revision and Rollout'),
  ),
).action(async (opts: TargetFlags & { json: boolean }) => {
  const loaded = await configOf();
  process.exitCode = onKubernetes(opts) ? await kubernetesStatusCommand(loaded, opts) : await statusCommand(loaded, opts);
});
targeted(
  json(
    program
      .command('history')
      .description('past releases: id, time, strategy, result, reason, duration; on Kubernetes, Helm revisions')
      .option('--limit <n>', 'how many', '20'),
  ),
).action(async (opts: TargetFlags & { limit: string; json: boolean }) => {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: "${opts.limit}" is not a positive whole number`);
  const loaded = await configOf();
  process.exitCode = onKubernetes(opts)
    ? await kubernetesHistoryCommand(loaded, { ...opts, limit })
    : historyCommand(loaded, { ...opts, limit });
});

json(
  program.command('backup').description('take a base backup of the embedded database into the backup repository, then apply backup.keep'),
).action(async (opts: { json: boolean }) => {
  process.exitCode = await backupCommand(await configOf(), opts);
});
json(program.command('backups').description('list the base backups and archived WAL in the backup repository')).action(
  async (opts: { json: boolean }) => {
    process.exitCode = await backupsCommand(await configOf(), opts);
  },
);
json(
  program
    .command('drill')
    .description(
      "restore the latest backup into a scratch server, prove it whole (checksums, amcheck, the service's checks), measure RTO and RPO",
    ),
).action(async (opts: { json: boolean }) => {
  process.exitCode = await drillCommand(await configOf(), opts);
});
json(
  program
    .command('restore')
    .description(
      'restore the database into a new folder and server on a free port, until Ctrl-C; or, with slipway up stopped, --in-place --yes',
    )
    .requiredOption(
      '--to <target>',
      "latest, immediate (the backup's end), an ISO time, a restore point name, an LSN (0/3000060) or a transaction id",
    )
    .option('--into <dir>', 'a new, empty folder for the restored data (default: restores/<time> in the state folder)')
    .option('--port <port>', 'port of the restored server (default: any free port)')
    .option('--in-place', "replace the embedded database's own folder (slipway up stopped; the old folder is kept beside it)")
    .option('--yes', 'confirm --in-place'),
).action(async (opts: { to: string; into?: string; port?: string; inPlace?: boolean; yes?: boolean; json: boolean }) => {
  if (opts.inPlace) {
    if (opts.into !== undefined) throw new UsageError('--into: not with --in-place, which restores into the database folder itself');
    if (opts.port !== undefined) throw new UsageError('--port: not with --in-place, which starts no server to keep (slipway up serves it)');
    if (!opts.yes) throw new UsageError('--in-place replaces the database folder that slipway up serves: add --yes to confirm');
  } else if (opts.yes) throw new UsageError('--yes: only with --in-place (a restore into a new folder changes nothing to confirm)');
  const port = opts.port === undefined ? undefined : parsePort('--port', opts.port);
  process.exitCode = await restoreCommand(await configOf(), { ...opts, port });
});

json(
  program
    .command('reindex')
    .description("rebuild the service's read models from its source of truth (backup.reindex), on the running database or a restored one")
    .option('--port <port>', 'a restored server on 127.0.0.1 (slipway restore) instead of the database slipway up serves'),
).action(async (opts: { port?: string; json: boolean }) => {
  const port = opts.port === undefined ? undefined : parsePort('--port', opts.port);
  process.exitCode = await reindexCommand(await configOf(), { port, json: opts.json });
});

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError(`${flag}: "${value}" is not a port (0-65535)`);
  return port;
}

/** --port, else PORT (as Node hosts set it), else undefined: router.port in the config. */
function routerPort(flag: string | undefined, env: string | undefined): number | undefined {
  if (flag !== undefined) return parsePort('--port', flag);
  if (env !== undefined && env !== '') return parsePort('PORT', env);
  return undefined;
}

function parseStrategy(value: string): StrategyName {
  const known = STRATEGIES.find((s) => s === value);
  if (known) return known;
  throw new UsageError(`--strategy: "${value}" is not one of ${STRATEGIES.join(', ')}`);
}

function parseOverrides(values: string[]): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const v of values) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (!m) throw new UsageError(`--set: "${v}" is not KEY=VALUE (KEY: letters, digits and _)`);
    overrides[m[1]!] = m[2]!;
  }
  return overrides;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

// Output piped into `head` and the like: a closed pipe ends the command quietly, as for other command-line tools.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  if (err instanceof UsageError || err instanceof KubernetesUsageError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (err instanceof DeployBlockedError || err instanceof ControlUnavailableError || err instanceof AlreadyRunningError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.blocked;
    return;
  }
  // The cluster or Prometheus could not be reached, or refused: a target that could not be reached.
  if (err instanceof ClusterCommandError || err instanceof PrometheusError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  // A restore or backup that could not be trusted: refused, and why, with nothing changed.
  if (
    err instanceof RestoreRefusedError ||
    err instanceof BackupRefusedError ||
    err instanceof DamagedFileError ||
    err instanceof MissingFileError ||
    err instanceof RefusedOverwriteError
  ) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.failed;
    return;
  }
  if (err instanceof SlipwayConfigError || err instanceof BackupNotConfiguredError || err instanceof KeyError) {
    process.stderr.write(`slipway: ${err.message}\n`);
    process.exitCode = EXIT.config;
    return;
  }
  process.stderr.write(`slipway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
