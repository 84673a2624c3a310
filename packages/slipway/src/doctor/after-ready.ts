import type { LoadedConfig } from '../config/config.js';
import { readConfiguredSecrets } from '../smoke/secrets.js';
import { declarativeCheck } from '../smoke/declarative.js';
import { runSmoke } from '../smoke/runner.js';
import type { CheckResult } from '../smoke/types.js';
import type { Finding } from './findings.js';
import { get, probePathFinding, type WatchTarget } from './watch.js';

/** Each probe path answered once more (liveness may differ from readiness), then the declarative smoke checks. */
export async function checkReadyService(
  loaded: LoadedConfig,
  target: WatchTarget,
  version: string,
): Promise<{ findings: Finding[]; checks: CheckResult[]; notes: string[] }> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  for (const [path, where] of Object.entries(target.probes)) {
    const status = await get(target.port, path);
    if (status === null || status < 200 || status >= 400) findings.push(probePathFinding(where, path, status, target));
  }
  const { smoke, timeouts } = loaded.config;
  if (smoke.suite !== undefined) notes.push(`smoke.suite (${smoke.suite}) is code: doctor runs only smoke.checks; slipway smoke runs both`);
  if (smoke.checks.length === 0) return { findings, checks: [], notes };
  let secrets: Record<string, string> = {};
  if (smoke.checks.some((c) => c.token !== undefined)) {
    try {
      secrets = readConfiguredSecrets(loaded);
    } catch (err) {
      notes.push((err as Error).message);
    }
  }
  const result = await runSmoke(
    { name: 'smoke.checks', checks: smoke.checks.map(declarativeCheck) },
    { target: new URL(`http://127.0.0.1:${target.port}`), secrets, expectedVersion: version, totalTimeoutMs: timeouts.smoke },
  );
  for (const [i, check] of result.checks.entries()) {
    if (check.status !== 'failed') continue;
    const evidence = check.evidence;
    findings.push({
      kind: 'smoke-failed',
      title: `smoke check "${check.name}" fails: ${check.error ?? 'failed'}`,
      detail: evidence
        ? [
            `${evidence.method} ${evidence.url} → ${evidence.status ?? 'no answer'}`,
            ...(evidence.bodyExcerpt ? [`body: ${evidence.bodyExcerpt}`] : []),
          ]
        : [],
      fix: `make the service answer as smoke.checks[${i}] expects, or correct that check`,
    });
  }
  const skipped = result.checks.filter((c) => c.status === 'skipped').map((c) => c.name);
  if (skipped.length > 0) notes.push(`smoke checks not run after the first failure: ${skipped.join(', ')}`);
  return { findings, checks: result.checks, notes };
}
