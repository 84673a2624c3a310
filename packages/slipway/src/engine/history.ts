import type { DeployOutcome } from './context.js';
import type { StrategyName } from './events.js';
import type { ReleaseStore } from './store.js';

/** Records a finished deploy in the history: the candidate is stable afterwards only if it was promoted. */
export function recordDeploy(
  store: ReleaseStore,
  run: { id: string; strategy: StrategyName | null; stable: string | null; startedAt: number },
  outcome: DeployOutcome,
): DeployOutcome {
  store.appendHistory({
    id: run.id,
    kind: 'deploy',
    strategy: run.strategy,
    result: outcome.result,
    reason: outcome.reason,
    startedAt: run.startedAt,
    stableAfter: outcome.result === 'promoted' ? run.id : run.stable,
  });
  return outcome;
}
