import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { wantsColour } from '../colour.js';
import type { LoadedConfig } from '../config/config.js';
import { DeployBlockedError, type DeployOutcome, type EngineContext } from '../engine/context.js';
import { deploy } from '../engine/deploy.js';
import { interruptedDeploy, settleInterrupted } from '../engine/recovery.js';
import { rollBackTo } from '../engine/rollback.js';
import { TERMINAL_EVENTS, type ReleaseEvent, type StrategyName } from '../engine/events.js';
import { BUILDING, ReleaseStore, type Decision, type HistoryEntry } from '../engine/store.js';
import { ControlClient } from '../local/control.js';
import type { DecisionReply } from '../local/dashboard/server.js';
import { requireRunningInstance, runningInstance } from '../local/up.js';
import { buildRelease } from '../release/build.js';
import { readConfiguredSecrets } from '../smoke/secrets.js';
import { renderReport } from '../report/html.js';
import { ProgressLine } from '../report/progress-line.js';
import { colour, formatEvent, formatProgress } from '../report/terminal.js';
import { EXIT } from '../exit-codes.js';

export interface OutputOptions {
  json: boolean;
}

const out = process.stdout;

/** Where events go: one JSON line each with --json; otherwise a readable line, plus a live status line on a TTY. */
function eventPrinter(opts: OutputOptions) {
  const tty = !opts.json && out.isTTY === true;
  const style = colour(!opts.json && wantsColour(out));
  const status = new ProgressLine(out);
  // The progress line compares the candidate with the release it replaces, named when the deploy starts.
  let stable: string | null = null;
  let previous: Extract<ReleaseEvent, { type: 'metrics' }>['sample'] | undefined;
  return {
    event(e: ReleaseEvent) {
      if (e.type === 'deploy-started') stable = e.stable;
      if (opts.json) {
        out.write(`${JSON.stringify(e)}\n`);
        return;
      }
      if (e.type === 'metrics') {
        if (tty) status.show(formatProgress(e.sample, previous, e.release, stable));
        previous = e.sample;
        return;
      }
      const line = formatEvent(e, style);
      if (line === null) return;
      status.clear();
      out.write(`${line}\n`);
    },
    output(line: string) {
      if (opts.json) return;
      status.clear();
      out.write(`  │ ${line}\n`);
    },
  };
}

function writeReport(store: ReleaseStore, id: string): string {
  const file = path.join(store.releaseDir(id), 'report.html');
  writeFileSync(file, renderReport(store.events(id)));
  return file;
}

function context(
  loaded: LoadedConfig,
  opts: OutputOptions,
  printer = eventPrinter(opts),
): { ctx: EngineContext; store: ReleaseStore; client: ControlClient } {
  const store = new ReleaseStore(loaded.stateDir);
  requireRunningInstance(loaded.stateDir);
  // A release in progress rides out a restart of slipway up (its router and processes keep serving meanwhile).
  const client = new ControlClient(loaded.stateDir, { reconnectMs: 30_000 });
  const ctx = { loaded, store, backend: client, onEvent: printer.event, onOutput: printer.output, smokeSecrets: smokeSecretsOf(loaded) };
  return { ctx, store, client };
}

/** The smoke token file's entries, read once, when first needed (none while the file does not exist). */
function smokeSecretsOf(loaded: LoadedConfig): () => Record<string, string> {
  let secrets: Record<string, string> | undefined;
  return () => (secrets ??= readConfiguredSecrets(loaded));
}

/** Settles a release whose deploy process died, if there is one; answers how (null: there was none). */
async function settleIfInterrupted(ctx: EngineContext, opts: OutputOptions, decision?: Decision): Promise<DeployOutcome | null> {
  const interrupted = interruptedDeploy(ctx.store);
  if (!interrupted) return null;
  if (!opts.json) out.write(`release ${interrupted.release} was interrupted (deploy pid ${interrupted.pid} is gone); settling it first\n`);
  const outcome = await settleInterrupted(ctx, interrupted, decision);
  writeReport(ctx.store, interrupted.release);
  return outcome;
}

/** Old release folders go once a deploy has settled; those running, stable or in the history's last entries stay. */
async function pruneReleases(loaded: LoadedConfig, store: ReleaseStore, client: ControlClient): Promise<void> {
  const running = (await client.state()).releases.map((r) => r.id);
  const { keep } = loaded.config.build;
  const recent = store
    .history()
    .slice(-keep)
    .map((h) => h.id);
  const stable = store.stable();
  // Rollback targets stay, however many newer releases were rolled back since.
  store.prune(keep, new Set([...running, ...recent, ...store.previousStables().slice(0, keep), ...(stable ? [stable] : [])]));
}

export interface DeployCommandOptions extends OutputOptions {
  strategy?: StrategyName;
  overrides: Record<string, string>;
  build: boolean;
}

/** `slipway deploy`: exit 0 when promoted, 1 when rolled back, 3 when it could not start. */
export async function deployCommand(loaded: LoadedConfig, opts: DeployCommandOptions): Promise<number> {
  const { ctx, store, client } = context(loaded, opts);
  try {
    await settleIfInterrupted(ctx, opts);
    const outcome = await deploy(ctx, {
      strategy: opts.strategy ?? loaded.config.strategy.type,
      overrides: opts.overrides,
      build: () => buildRelease(loaded, store, ctx.onOutput, !opts.build),
    });
    const report = writeReport(store, outcome.release);
    await pruneReleases(loaded, store, client).catch((err: Error) => {
      if (!opts.json) out.write(`could not remove old releases: ${err.message}\n`);
    });
    if (!opts.json) out.write(`report: ${report}\n`);
    // Only a settled release gives the lock back: if anything above threw, the lock stays and the next
    // command finds the release interrupted and settles it.
    store.releaseLock();
    return outcome.result === 'promoted' ? EXIT.ok : EXIT.failed;
  } finally {
    await client.close();
  }
}

/**
 * `slipway promote` / `slipway abort`: a decision for the release being deployed. A running deploy acts on it
 * within a second; a deploy whose process died is settled here, the chosen way.
 */
export async function decideCommand(loaded: LoadedConfig, action: Decision, opts: OutputOptions): Promise<number> {
  const { ctx, store, client } = context(loaded, opts);
  try {
    const sent = await sendDecision(ctx, action, opts);
    if (sent.settled) return EXIT.ok;
    // Follow the release until its deploy settles it, or settle it here if that process dies meanwhile.
    for (;;) {
      await sleep(200);
      const last = store.lastEvent(sent.release);
      if (last && TERMINAL_EVENTS.has(last.type)) {
        out.write(opts.json ? `${JSON.stringify(last)}\n` : `${formatEvent(last) ?? last.type}\n`);
        return last.type === 'rolled-back' && action === 'promote' ? EXIT.failed : EXIT.ok;
      }
      if (await settleIfInterrupted(ctx, opts, action)) return EXIT.ok;
      if (!store.readLock()) return EXIT.ok;
    }
  } finally {
    await client.close();
  }
}

/**
 * The decision itself: a deploy whose process died is settled here, the chosen way; a running one is handed the
 * decision and acts on it within a second. With `only`, nothing is done unless that release is the one being deployed.
 */
async function sendDecision(
  ctx: EngineContext,
  action: Decision,
  opts: OutputOptions,
  only?: string,
): Promise<{ release: string; settled: DeployOutcome | null }> {
  const current = interruptedDeploy(ctx.store)?.release ?? ctx.store.readLock()?.release;
  if (!current) throw new DeployBlockedError('no release is being deployed');
  if (current === BUILDING) throw new DeployBlockedError('the release is still being built; decide once it has started');
  if (only !== undefined && only !== current) throw new DeployBlockedError(`release ${only} is not being deployed (${current} is)`);
  const settled = await settleIfInterrupted(ctx, opts, action);
  if (settled) return { release: settled.release, settled };
  ctx.store.writeDecision(current, action);
  return { release: current, settled: null };
}

/**
 * The dashboard's Promote and Abort buttons: what `slipway promote` / `slipway abort` do for that release, without
 * following it to the end (the page shows that). What the decision does is written to `log`.
 */
export async function decideFromDashboard(
  loaded: LoadedConfig,
  release: string,
  action: Decision,
  log: (line: string) => void,
): Promise<DecisionReply> {
  const printer = {
    event(e: ReleaseEvent) {
      const line = formatEvent(e);
      if (line !== null) log(line);
    },
    output: log,
  };
  // Nothing for stdout: in slipway up that is its log, which gets the lines through `log`.
  const quiet = { json: true };
  const { ctx, client } = context(loaded, quiet, printer);
  try {
    log(`${action} requested for release ${release}`);
    const sent = await sendDecision(ctx, action, quiet, release);
    const { settled } = sent;
    return {
      ok: true,
      message: settled
        ? `Release ${release} was interrupted; it is now ${settled.result === 'promoted' ? 'promoted' : 'rolled back'}.`
        : `Sent ${action} to the deploy of ${release}; it acts within a second.`,
    };
  } catch (err) {
    if (err instanceof DeployBlockedError) return { ok: false, message: err.message };
    throw err;
  } finally {
    await client.close();
  }
}

/**
 * `slipway rollback [--to id]`: the previous (or named) release takes all traffic at once; no analysis. Within
 * `timeouts.keepPrevious` of a promotion the previous release is still running: then it is one routing change and
 * no process is started; after that it is started from its release folder first.
 */
export async function rollbackCommand(loaded: LoadedConfig, opts: OutputOptions & { to?: string | undefined }): Promise<number> {
  const { ctx, store, client } = context(loaded, opts);
  try {
    await settleIfInterrupted(ctx, opts, 'abort');
    const current = store.stable();
    const target = opts.to ?? store.previousStables()[0];
    if (!target) throw new DeployBlockedError('there is no previous release to roll back to');
    if (!store.exists(target)) throw new DeployBlockedError(`--to: release ${target} is not in ${store.releasesDir}`);
    if (target === current) throw new DeployBlockedError(`--to: ${target} is already the stable release`);
    const summary = await rollBackTo(ctx, target);
    const how = summary.warm ? 'it was still running: one routing change' : 'started from its release folder first';
    out.write(
      opts.json
        ? `${JSON.stringify(summary)}\n`
        : `traffic back on ${target} (from ${current ?? '(none)'}; ${how}) after ${(summary.durationMs / 1000).toFixed(2)} s; the other release stopped after ${(summary.totalMs / 1000).toFixed(2)} s\n`,
    );
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

export function historyCommand(loaded: LoadedConfig, opts: OutputOptions & { limit: number }): number {
  const entries = new ReleaseStore(loaded.stateDir).history().slice(-opts.limit);
  if (opts.json) {
    out.write(`${JSON.stringify(entries)}\n`);
    return EXIT.ok;
  }
  if (entries.length === 0) out.write('no releases yet\n');
  for (const e of entries) out.write(`${historyLine(e)}\n`);
  return EXIT.ok;
}

function historyLine(e: HistoryEntry): string {
  const what = e.kind === 'deploy' ? (e.strategy ?? '') : e.kind;
  return [
    e.finishedAt.replace('T', ' ').slice(0, 19),
    e.id.padEnd(34),
    what.padEnd(10),
    e.result.padEnd(11),
    `${(e.durationMs / 1000).toFixed(1)} s`.padStart(8),
    e.reason.split('\n')[0],
  ].join('  ');
}

export async function statusCommand(loaded: LoadedConfig, opts: OutputOptions): Promise<number> {
  const store = new ReleaseStore(loaded.stateDir);
  const lock = store.readLock();
  const interrupted = interruptedDeploy(store);
  let state = null;
  let unreachable: string | null = null;
  try {
    const client = new ControlClient(loaded.stateDir);
    state = await client.state().finally(() => client.close());
  } catch (err) {
    unreachable = (err as Error).message;
  }
  const deploying = lock && lock.release !== BUILDING ? lock.release : null;
  const events = deploying ? store.events(deploying) : [];
  const lastStep = events.filter((e) => e.type === 'step-started').at(-1);
  const lastAnalysis = events.filter((e) => e.type === 'analysis').at(-1);
  const paused = events.findLast((e) => e.type === 'paused' || e.type === 'decision')?.type === 'paused';
  const dashboard = runningInstance(loaded.stateDir)?.dashboardUrl ?? null;
  const status = {
    up: state ? { url: state.publicUrl, dashboard } : null,
    unreachable,
    stable: store.stable(),
    weights: state?.weights ?? null,
    releases: state?.releases ?? [],
    routing: state?.routing ?? null,
    deploy: deploying
      ? {
          release: deploying,
          state: interrupted ? 'interrupted' : paused ? 'paused' : 'running',
          pid: lock?.pid ?? null,
          lastEvent: events.at(-1)?.type ?? null,
          step: lastStep?.type === 'step-started' ? { step: lastStep.step, steps: lastStep.steps, weights: lastStep.weights } : null,
          lastAnalysis:
            lastAnalysis?.type === 'analysis'
              ? { step: lastAnalysis.step, verdict: lastAnalysis.result.verdict, reason: lastAnalysis.result.reason }
              : null,
        }
      : null,
  };
  if (opts.json) {
    out.write(`${JSON.stringify(status)}\n`);
    return EXIT.ok;
  }
  out.write(state ? `slipway up: ${state.publicUrl}\n` : `slipway up: not reachable (${unreachable})\n`);
  if (state && dashboard) out.write(`release dashboard: ${dashboard} (sign in: slipway dashboard)\n`);
  out.write(`stable release: ${status.stable ?? '(none)'}\n`);
  if (state) {
    out.write(
      `weights: ${
        Object.entries(state.weights)
          .map(([id, w]) => `${id} ${w}%`)
          .join(', ') || '(none)'
      }\n`,
    );
    for (const r of state.releases) {
      const notes = [
        r.singletons ? 'runs the singletons' : null,
        r.version !== r.id ? `fresh baseline running ${r.version}` : null,
        r.retiresAt ? `kept warm for an instant rollback until ${r.retiresAt.replace('T', ' ').slice(0, 19)} UTC` : null,
        r.overrides.length ? `overrides: ${r.overrides.join(', ')}` : null,
      ].filter((n) => n !== null);
      out.write(`release ${r.id}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
      for (const p of r.replicas)
        out.write(
          `  ${p.name.padEnd(10)} ${p.state.padEnd(8)} ${`pid ${p.pid ?? '-'}`.padEnd(10)} restarts ${p.restarts}${p.lastError ? `  last error: ${p.lastError}` : ''}\n`,
        );
    }
  }
  if (status.deploy) {
    const d = status.deploy;
    out.write(`deploy of ${d.release}: ${d.state} (pid ${d.pid}), last event ${d.lastEvent}\n`);
    if (d.step)
      out.write(
        `  step ${d.step.step}/${d.step.steps}: ${Object.entries(d.step.weights)
          .map(([id, w]) => `${id} ${w}%`)
          .join(', ')}\n`,
      );
    if (d.lastAnalysis)
      out.write(
        `  last analysis (${d.lastAnalysis.step === 0 ? 'warm-up' : `step ${d.lastAnalysis.step}`}): ${d.lastAnalysis.verdict} — ${d.lastAnalysis.reason}\n`,
      );
    if (d.state === 'interrupted')
      out.write('  run slipway abort (roll back) or slipway promote, or slipway deploy (rolls it back first)\n');
    if (d.state === 'paused') out.write('  waiting for a person: slipway promote or slipway abort\n');
  } else out.write('no deploy in progress\n');
  return EXIT.ok;
}
