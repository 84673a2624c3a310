import path from 'node:path';
import type { LoadedConfig } from '../config/config.js';
import type { SlipwayConfig } from '../config/schema.js';
export { shellLine } from '../shell.js';

// The helm and kubectl command lines of a release on Kubernetes. Built in one place, so that what `--dry-run` prints
// is what a deploy runs.

export class KubernetesUsageError extends Error {
  override readonly name = 'KubernetesUsageError';
}

export interface KubernetesTarget {
  environment: string;
  release: string;
  namespace: string;
  /** Absolute path of the chart folder. */
  chart: string;
  /** Absolute paths of the values files, in order. */
  values: string[];
  context: string | undefined;
  versionValue: string;
  argoRollouts: boolean;
  prometheus: string | undefined;
  selector: string;
  scrapeIntervalMs: number;
  timeoutMs: number;
  pollMs: number;
  /** The chart values made from `strategy` and `analysis`. */
  releaseValues: string[];
}

/** The environment `--env` names, resolved against `kubernetes` in the config; each mistake names what is wrong. */
export function kubernetesTarget(loaded: LoadedConfig, environment: string | undefined): KubernetesTarget {
  const k = loaded.config.kubernetes;
  if (!k) throw new KubernetesUsageError(`--target kubernetes: ${loaded.file} has no kubernetes section (chart, release, environments)`);
  const known = Object.keys(k.environments);
  if (environment === undefined) throw new KubernetesUsageError(`--env: required with --target kubernetes (one of ${known.join(', ')})`);
  const env = k.environments[environment];
  if (!env) throw new KubernetesUsageError(`--env: "${environment}" is not in kubernetes.environments (${known.join(', ')})`);
  const chart = loaded.resolve(k.chart);
  return {
    environment,
    release: k.release,
    namespace: env.namespace,
    chart,
    values: env.values.map((v) => path.resolve(chart, v)),
    context: env.context,
    versionValue: k.versionValue,
    argoRollouts: env.argoRollouts,
    prometheus: env.prometheus,
    selector: k.selector,
    scrapeIntervalMs: k.scrapeInterval,
    timeoutMs: k.timeout,
    pollMs: k.poll,
    releaseValues: releaseValues(loaded.config, env.argoRollouts),
  };
}

/**
 * The strategy and analysis limits as chart values: with Argo Rollouts they become the Rollout's steps and the
 * AnalysisTemplate's limits; without, the chart runs a Deployment and Slipway analyses with the same limits.
 */
export function releaseValues(config: SlipwayConfig, argoRollouts: boolean): string[] {
  if (!argoRollouts) return ['--set', 'rollout.enabled=false'];
  const { strategy, analysis } = config;
  // Rolling (weights without a baseline) is a canary to Argo Rollouts; its steps are the same.
  const steps = strategy.steps.map((s) => `${s.weight}:${Math.ceil(s.hold / 1000)}`);
  return [
    '--set',
    'rollout.enabled=true',
    '--set',
    `rollout.strategy=${strategy.type === 'blue-green' ? 'blueGreen' : 'canary'}`,
    '--set-json',
    `rollout.canarySteps=${JSON.stringify(steps)}`,
    // --set keeps a decimal as a string; --set-json keeps it a number, as the chart's schema wants.
    '--set-json',
    `rollout.analysis.maxErrorRate=${analysis.maxErrorRate}`,
    '--set-json',
    `rollout.analysis.maxP95Seconds=${analysis.maxP95 / 1000}`,
  ];
}

const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;
const where = (t: KubernetesTarget) => ['--namespace', t.namespace, ...(t.context ? ['--kube-context', t.context] : [])];
const kubectlWhere = (t: KubernetesTarget) => ['--namespace', t.namespace, ...(t.context ? ['--context', t.context] : [])];

/** The chart with this environment's values and the version: what `helm template` renders and `helm upgrade` applies. */
function chartArgs(t: KubernetesTarget, version: string): string[] {
  return [
    t.release,
    t.chart,
    ...where(t),
    ...t.values.flatMap((v) => ['-f', v]),
    ...t.releaseValues,
    '--set',
    `${t.versionValue}=${version}`,
  ];
}

/** The description Helm keeps with the revision: how `slipway history` knows each revision's version. */
export const versionDescription = (version: string) => `slipway: version ${version}`;

export function upgradeCommand(t: KubernetesTarget, version: string): string[] {
  // With Argo Rollouts the Rollout is the rollout: Helm applies it and Slipway follows it instead of --wait.
  const wait = t.argoRollouts ? [] : ['--wait'];
  return [
    'helm',
    'upgrade',
    '--install',
    ...chartArgs(t, version),
    ...wait,
    '--timeout',
    seconds(t.timeoutMs),
    '--description',
    versionDescription(version),
  ];
}

export function templateCommand(t: KubernetesTarget, version: string): string[] {
  return ['helm', 'template', ...chartArgs(t, version)];
}

export function testCommand(t: KubernetesTarget): string[] {
  return ['helm', 'test', t.release, ...where(t), '--timeout', seconds(t.timeoutMs), '--logs'];
}

export function rollbackCommand(t: KubernetesTarget, revision: number): string[] {
  // Helm's --wait cannot tell when a Rollout is ready (its status counts generations as strings): it would time out.
  const wait = t.argoRollouts ? [] : ['--wait'];
  return ['helm', 'rollback', t.release, String(revision), ...where(t), ...wait, '--timeout', seconds(t.timeoutMs)];
}

export function historyCommand(t: KubernetesTarget): string[] {
  return ['helm', 'history', t.release, ...where(t), '--output', 'json', '--max', '50'];
}

export function getRolloutCommand(t: KubernetesTarget): string[] {
  return [
    'kubectl',
    'get',
    'rollouts.argoproj.io',
    ...kubectlWhere(t),
    '--selector',
    `app.kubernetes.io/instance=${t.release}`,
    '--output',
    'json',
  ];
}

/** A merge patch of a Rollout: of its status (Argo Rollouts' own promote and abort do the same), or of its spec. */
export function patchRolloutCommand(t: KubernetesTarget, name: string, patch: object, subresource: 'status' | null): string[] {
  return [
    'kubectl',
    'patch',
    'rollouts.argoproj.io',
    name,
    ...kubectlWhere(t),
    ...(subresource ? [`--subresource=${subresource}`] : []),
    '--type',
    'merge',
    '--patch',
    JSON.stringify(patch),
  ];
}
