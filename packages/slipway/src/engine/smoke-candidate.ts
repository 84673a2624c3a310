import path from 'node:path';
import { configuredSuite } from '../smoke/declarative.js';
import { runSmoke } from '../smoke/runner.js';
import type { ReplicaInfo } from './backend.js';
import { clockOf, RollBack, type EngineContext, type Emit } from './context.js';
import { metricsUrlOf } from './replicas.js';

/** The smoke suite, run against one of the candidate's replicas directly, before any user reaches it; a failure rolls back. */
export async function smokeCandidate(
  ctx: EngineContext,
  release: string,
  appDir: string,
  replicas: ReplicaInfo[],
  emit: Emit,
): Promise<void> {
  const { config } = ctx.loaded;
  const replica = replicas[0];
  if (!replica?.url) throw new RollBack('no candidate replica to run the smoke suite against');
  const suite = await configuredSuite(config.smoke, (p) => path.join(appDir, p)).catch((err: Error) => {
    throw new RollBack(err.message);
  });
  const clock = clockOf(ctx);
  const started = clock.now();
  const result = await (ctx.runSmoke ?? runSmoke)(suite, {
    target: new URL(replica.url),
    metricsUrl: new URL(metricsUrlOf(replica)),
    secrets: ctx.smokeSecrets(),
    expectedVersion: release,
    totalTimeoutMs: config.timeouts.smoke,
  });
  const failedCheck = result.checks.find((c) => c.status === 'failed');
  const failure = failedCheck ? `${failedCheck.name}: ${failedCheck.error ?? 'failed'}` : null;
  emit({
    type: 'smoke-finished',
    passed: result.passed,
    failed: result.failed,
    skipped: result.skipped,
    failure,
    durationMs: clock.now() - started,
  });
  if (failure) throw new RollBack(`smoke suite failed at ${failure}`);
}
