import { wantsColour } from '../colour.js';
import type { LoadedConfig } from '../config/config.js';
import { releaseToCluster, servedRevisions, type ClusterEvent } from '../engine/cluster-release.js';
import type { ClusterRevision, RolloutState } from '../engine/cluster.js';
import { systemClock } from '../engine/clock.js';
import { DeployBlockedError } from '../engine/context.js';
import { settingsFrom } from '../engine/window-analysis.js';
import { EXIT } from '../exit-codes.js';
import { formatDuration } from '../format.js';
import {
  getRolloutCommand,
  historyCommand,
  kubernetesTarget,
  KubernetesUsageError,
  patchRolloutCommand,
  rollbackCommand,
  shellLine,
  templateCommand,
  testCommand,
  upgradeCommand,
  type KubernetesTarget,
} from '../kubernetes/commands.js';
import { HelmCluster, runTool, type CommandObserver } from '../kubernetes/helm-cluster.js';
import { PrometheusMetrics } from '../kubernetes/prometheus.js';
import { colour } from '../report/terminal.js';

// `slipway deploy/status/history/rollback/promote/abort --target kubernetes --env <name>`: the Kubernetes backend
// (kubernetes/) given to the engine's cluster release, and what it says printed for people or as JSON lines.

export interface KubernetesOptions {
  env?: string | undefined;
  json: boolean;
}

const out = process.stdout;
const err = process.stderr;

/** Prints each command before it runs and its output indented; with --json, the commands as JSON lines on stderr. */
function observer(opts: KubernetesOptions): CommandObserver {
  const style = colour(!opts.json && wantsColour(out));
  return {
    onCommand: (argv) =>
      opts.json ? err.write(`${JSON.stringify({ type: 'command', argv })}\n`) : out.write(`${style.dim(`$ ${shellLine(argv)}`)}\n`),
    onOutput: (line) => {
      if (!opts.json) out.write(`  │ ${line}\n`);
    },
  };
}

function clusterOf(loaded: LoadedConfig, opts: KubernetesOptions): { target: KubernetesTarget; cluster: HelmCluster } {
  const target = kubernetesTarget(loaded, opts.env);
  return { target, cluster: new HelmCluster(target, observer(opts)) };
}

function requireVersion(version: string | undefined): string {
  if (version === undefined || version === '')
    throw new KubernetesUsageError('--version: required with --target kubernetes (the image tag to release, as your CI pushed it)');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(version)) throw new KubernetesUsageError(`--version: "${version}" is not an image tag`);
  return version;
}

export interface KubernetesDeployOptions extends KubernetesOptions {
  version?: string | undefined;
  dryRun: boolean;
  /** Asks a person before anything changes (a terminal without --yes); false: not deployed, exit 1. */
  confirm?(question: string): Promise<boolean>;
}

/** `slipway deploy --target kubernetes`: exit 0 promoted, 1 rolled back (or the rollback failed too), 3 when it could not start. */
export async function kubernetesDeployCommand(loaded: LoadedConfig, opts: KubernetesDeployOptions): Promise<number> {
  const version = requireVersion(opts.version);
  const { target, cluster } = clusterOf(loaded, opts);
  if (!target.argoRollouts && !target.prometheus)
    throw new KubernetesUsageError(
      `kubernetes.environments.${target.environment}.prometheus: needed on plain Kubernetes (the analysis reads it); or set argoRollouts`,
    );
  if (opts.dryRun) return dryRun(loaded, target, version, opts);
  if (opts.confirm && !(await opts.confirm(`Release ${version} to ${target.environment} (namespace ${target.namespace}) on Kubernetes?`))) {
    process.stderr.write('slipway: not deployed\n');
    return EXIT.failed;
  }
  const style = colour(!opts.json && wantsColour(out));
  const outcome = await releaseToCluster(
    {
      version,
      argoRollouts: target.argoRollouts,
      holdsMs: loaded.config.strategy.steps.map((s) => s.hold),
      settings: settingsFrom(loaded),
      burnRateWindowMs: loaded.config.analysis.burnRateWindow,
      serviceMetrics: loaded.config.analysis.serviceMetrics,
      pollMs: target.pollMs,
      timeoutMs: target.timeoutMs,
    },
    {
      cluster,
      metrics: target.prometheus ? new PrometheusMetrics(target.prometheus, target.selector, 4 * target.scrapeIntervalMs) : null,
      clock: systemClock,
      emit: (event) => {
        const stamped = { ...event, at: new Date().toISOString(), environment: target.environment };
        if (opts.json) out.write(`${JSON.stringify(stamped)}\n`);
        else out.write(`${describeEvent(event, target, style)}\n`);
      },
    },
  );
  return outcome.result === 'promoted' ? EXIT.ok : EXIT.failed;
}

function describeEvent(e: ClusterEvent, t: KubernetesTarget, style: ReturnType<typeof colour>): string {
  switch (e.type) {
    case 'started':
      return `${style.info('▶')} releasing ${e.version} to ${t.environment} (namespace ${t.namespace}, ${e.mode === 'helm' ? 'Slipway drives the analysis' : 'Argo Rollouts runs the steps'}; ${e.previous === null ? 'first install' : `rollback target: revision ${e.previous}`})`;
    case 'upgraded':
      return `${style.ok('✔')} helm upgrade done (${formatDuration(e.durationMs)})`;
    case 'tested':
      return `${style.ok('✔')} smoke suite passed (helm test, ${formatDuration(e.durationMs)})`;
    case 'analysis': {
      const tone = e.result.verdict === 'pass' ? style.ok('✔') : e.result.verdict === 'fail' ? style.fail('✖') : style.warn('…');
      return `${tone} analysis ${e.step}/${e.steps} over ${formatDuration(e.windowMs)}: ${e.result.verdict} — ${e.result.reason}`;
    }
    case 'rollout':
      return `${style.info('·')} ${rolloutLine(e.state)}`;
    case 'rolling-back':
      return `${style.fail('↩')} rolling back to revision ${e.to}: ${e.reason}`;
    case 'settled': {
      const tone = e.result === 'promoted' ? style.ok('✔') : style.fail('✖');
      return `${tone} ${e.result} after ${formatDuration(e.durationMs)}: ${e.reason}`;
    }
  }
}

function rolloutLine(s: RolloutState): string {
  const step = s.step ? ` step ${Math.min(s.step.index + 1, s.step.count)}/${s.step.count}` : '';
  const person = s.pausedForPerson ? ' — waiting for a person: slipway promote or slipway abort (with --target kubernetes --env)' : '';
  return `Rollout ${s.name}: ${s.phase}${step}${s.message ? ` (${s.message})` : ''}${person}`;
}

/** The commands a deploy runs, in order, and the manifests it applies; only `helm history` and `helm template` are run. */
async function dryRun(loaded: LoadedConfig, target: KubernetesTarget, version: string, opts: KubernetesOptions): Promise<number> {
  const quiet: CommandObserver = { onCommand: () => undefined, onOutput: () => undefined };
  // The only read of the cluster: which revision a rollback would return to. Without a cluster the rest still prints.
  let previous: ClusterRevision | null = null;
  let unreadable: string | null = null;
  try {
    previous = (await new HelmCluster(target, quiet).history()).findLast((r) => r.status === 'deployed') ?? null;
  } catch (e) {
    unreadable = (e as Error).message;
  }
  const release = target.argoRollouts
    ? [upgradeCommand(target, version), getRolloutCommand(target)]
    : [upgradeCommand(target, version), testCommand(target)];
  const onFailure = previous ? [rollbackCommand(target, previous.revision)] : [];
  const manifests = await runTool(templateCommand(target, version), quiet);
  const analysis = target.argoRollouts
    ? null
    : {
        prometheus: target.prometheus!,
        windowsMs: loaded.config.strategy.steps.reduce<number[]>((acc, s) => [...acc, (acc.at(-1) ?? 0) + s.hold], []),
      };
  if (opts.json) {
    out.write(
      `${JSON.stringify({ dryRun: true, environment: target.environment, version, read: [historyCommand(target)], unreadable, release, onFailure, previous, analysis, manifests })}\n`,
    );
    return EXIT.ok;
  }
  const lines = [
    `# slipway deploy --target kubernetes --env ${target.environment} --version ${version}: a dry run, nothing is changed.`,
    `# Read to find the revision a rollback returns to (${rollbackTarget(previous, unreadable)}):`,
    shellLine(historyCommand(target)),
    '# The release:',
    shellLine(release[0]!),
    target.argoRollouts
      ? `# Then, every ${formatDuration(target.pollMs)} until the Rollout settles, is aborted or degrades (Argo Rollouts runs the steps and the AnalysisTemplate):`
      : "# Then the smoke suite (the chart's test hook):",
    shellLine(release[1]!),
    ...(analysis
      ? [
          `# Then the analysis on ${analysis.prometheus}: windows ending ${analysis.windowsMs.map((w) => formatDuration(w)).join(', ')} after the upgrade, the new version against the others before it, with the limits of slipway.config.ts.`,
        ]
      : []),
    ...(target.argoRollouts
      ? [
          `# If it has not settled within ${formatDuration(target.timeoutMs)}, it is aborted first (the Rollout's name is read then):`,
          `# ${shellLine(patchRolloutCommand(target, '<rollout>', { status: { abort: true } }, 'status'))}`,
        ]
      : []),
    `# If ${target.argoRollouts ? 'the Rollout is aborted or degrades' : 'any of them fails'}:`,
    ...(onFailure.length
      ? onFailure.map((c) => shellLine(c))
      : unreadable
        ? [`# ${shellLine(rollbackCommand(target, 0)).replace(/ 0 /, ' <the revision deployed before> ')}`]
        : ['# nothing to roll back to (a first install): the release is left for a person to look at.']),
    `# The manifests the upgrade applies (${shellLine(templateCommand(target, version))}):`,
    manifests.trimEnd(),
  ];
  out.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function rollbackTarget(previous: ClusterRevision | null, unreadable: string | null): string {
  if (unreadable) return `could not read it: ${unreadable}`;
  return previous ? `revision ${previous.revision}, ${previous.version ?? 'version unknown'}` : 'none: a first install';
}

/** `slipway history --target kubernetes`: Helm's revisions with the version each shipped. */
export async function kubernetesHistoryCommand(loaded: LoadedConfig, opts: KubernetesOptions & { limit: number }): Promise<number> {
  const { cluster } = clusterOf(loaded, { ...opts, json: true });
  const revisions = (await cluster.history()).slice(-opts.limit);
  if (opts.json) {
    out.write(`${JSON.stringify(revisions)}\n`);
    return EXIT.ok;
  }
  if (revisions.length === 0) out.write('no revisions yet\n');
  for (const r of revisions) out.write(`${revisionLine(r)}\n`);
  return EXIT.ok;
}

function revisionLine(r: ClusterRevision): string {
  return [
    String(r.revision).padStart(4),
    r.updated.replace('T', ' ').slice(0, 19),
    (r.version ?? '-').padEnd(20),
    r.status.padEnd(16),
    r.description,
  ].join('  ');
}

/** `slipway status --target kubernetes`: the revision serving and, with Argo Rollouts, where its Rollout is. */
export async function kubernetesStatusCommand(loaded: LoadedConfig, opts: KubernetesOptions): Promise<number> {
  const { target, cluster } = clusterOf(loaded, { ...opts, json: true });
  const history = await cluster.history();
  const rollout = target.argoRollouts ? await cluster.rollout() : null;
  const status = {
    environment: target.environment,
    namespace: target.namespace,
    release: target.release,
    current: history.at(-1) ?? null,
    deployed: history.findLast((r) => r.status === 'deployed') ?? null,
    rollout,
  };
  if (opts.json) {
    out.write(`${JSON.stringify(status)}\n`);
    return EXIT.ok;
  }
  out.write(`${target.environment}: release ${target.release} in namespace ${target.namespace}\n`);
  out.write(status.current ? `latest revision: ${revisionLine(status.current).trim()}\n` : 'not installed\n');
  if (status.deployed && status.deployed !== status.current) out.write(`deployed revision: ${revisionLine(status.deployed).trim()}\n`);
  if (target.argoRollouts) out.write(rollout ? `${rolloutLine(rollout)}\n` : 'no Rollout found\n');
  return EXIT.ok;
}

/** `slipway rollback --target kubernetes [--to revision]`: Helm back to the previous deployed revision (or the one named). */
export async function kubernetesRollbackCommand(
  loaded: LoadedConfig,
  opts: KubernetesOptions & { to?: string | undefined },
): Promise<number> {
  if (opts.to !== undefined && !/^\d+$/.test(opts.to)) throw new KubernetesUsageError(`--to: "${opts.to}" is not a Helm revision number`);
  const { cluster } = clusterOf(loaded, opts);
  const history = await cluster.history();
  const deployed = history.findLast((r) => r.status === 'deployed');
  let to: ClusterRevision | undefined;
  if (opts.to !== undefined) {
    to = history.find((r) => r.revision === Number(opts.to));
    if (!to) throw new DeployBlockedError(`--to: revision ${opts.to} is not in the release's history`);
  } else {
    // Not simply the revision before: a rollback's own revision stands for the release it restored.
    to = servedRevisions(history).at(-2);
    if (!to) throw new DeployBlockedError('there is no earlier release to roll back to');
  }
  if (to === deployed || (to.version !== null && to.version === deployed?.version))
    throw new DeployBlockedError(`--to: revision ${to.revision} (${to.version ?? 'version unknown'}) is what is deployed`);
  await cluster.rollback(to.revision);
  const message = { rolledBackTo: to.revision, version: to.version, from: deployed?.revision ?? null };
  out.write(opts.json ? `${JSON.stringify(message)}\n` : `back on revision ${to.revision} (${to.version ?? 'version unknown'})\n`);
  return EXIT.ok;
}

/** `slipway promote|abort --target kubernetes`: Argo Rollouts' promote or abort; plain Kubernetes has no paused release. */
export async function kubernetesDecideCommand(loaded: LoadedConfig, action: 'promote' | 'abort', opts: KubernetesOptions): Promise<number> {
  const { target, cluster } = clusterOf(loaded, opts);
  if (!target.argoRollouts)
    throw new DeployBlockedError(
      `${action}: ${target.environment} runs on plain Kubernetes, where a deploy decides by itself; to undo a release, slipway rollback --target kubernetes --env ${target.environment}`,
    );
  if (action === 'promote') await cluster.promote();
  else await cluster.abort();
  const state = await cluster.rollout();
  const note =
    action === 'abort'
      ? 'Argo Rollouts gives the stable version all traffic back; the deploy following it rolls Helm back too (if none is, run slipway rollback).'
      : 'the Rollout goes on to its next step.';
  out.write(
    opts.json ? `${JSON.stringify({ action, rollout: state })}\n` : `${action} sent: ${note}\n${state ? rolloutLine(state) : ''}\n`,
  );
  return EXIT.ok;
}
