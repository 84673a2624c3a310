import { pathToFileURL } from 'node:url';
import { SlipwayConfigError } from '../config/config.js';
import type { HttpCheckConfig, SlipwayConfig } from '../config/schema.js';
import { jsonMismatch, readJsonPath } from './json-path.js';
import { CheckFailure, type SmokeCheck, type SmokeContext, type SmokeSuite } from './types.js';

/** Imports the module named by smoke.suite and returns its `suite` export. */
export async function loadSmokeSuite(modulePath: string): Promise<SmokeSuite> {
  let mod: { suite?: SmokeSuite };
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as { suite?: SmokeSuite };
  } catch (err) {
    throw new SlipwayConfigError(`smoke.suite: cannot import ${modulePath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!mod.suite || !Array.isArray(mod.suite.checks))
    throw new SlipwayConfigError(`smoke.suite: ${modulePath} has no \`suite\` export with checks`);
  return mod.suite;
}

/**
 * The smoke suite a config describes: the code suite's checks (smoke.suite, resolved by `resolve`), then the
 * declarative smoke.checks, as one suite for the one runner.
 */
export async function configuredSuite(smoke: SlipwayConfig['smoke'], resolve: (p: string) => string, name = 'smoke'): Promise<SmokeSuite> {
  const code = smoke.suite === undefined ? undefined : await loadSmokeSuite(resolve(smoke.suite));
  return {
    name: code?.name ?? name,
    checks: [...(code?.checks ?? []), ...smoke.checks.map(declarativeCheck)],
  };
}

/** One declarative check as a runner check: a request, then its status, body text and JSON paths compared. */
export function declarativeCheck(spec: HttpCheckConfig): SmokeCheck {
  const expected = Array.isArray(spec.status) ? spec.status : [spec.status];
  return {
    name: spec.name,
    description: spec.description ?? `${spec.method} ${spec.path} answers ${expected.join(' or ')}`,
    timeoutMs: spec.timeout,
    retries: spec.retries,
    async run(ctx: SmokeContext) {
      const token = spec.token === undefined ? undefined : ctx.secrets[spec.token];
      if (spec.token !== undefined && token === undefined) throw new CheckFailure(missingToken(spec.token, ctx.secrets));
      const res = await ctx.http.request(spec.method, new URL(spec.path, ctx.target), {
        ...(token === undefined ? {} : { token }),
        ...(spec.body === undefined ? {} : { body: spec.body }),
        headers: spec.headers,
      });
      const evidence = ctx.http.last;
      if (!expected.includes(res.status))
        throw new CheckFailure(`${spec.method} ${spec.path}: status ${res.status}, expected ${expected.join(' or ')}`, evidence);
      if (spec.bodyContains !== undefined && !res.text.includes(spec.bodyContains))
        throw new CheckFailure(`${spec.method} ${spec.path}: the body does not contain ${JSON.stringify(spec.bodyContains)}`, evidence);
      const paths = Object.entries(spec.json);
      if (paths.length > 0) {
        const body = res.json();
        for (const [jsonPath, want] of paths) {
          const problem = jsonMismatch(readJsonPath(body, jsonPath), want);
          if (problem) throw new CheckFailure(`${spec.method} ${spec.path}: ${jsonPath} ${problem}`, evidence);
        }
      }
      return `${res.status}`;
    },
  };
}

function missingToken(name: string, secrets: Readonly<Record<string, string>>): string {
  const names = Object.keys(secrets);
  const held = names.length === 0 ? 'no token file was read' : `it names ${names.map((n) => `"${n}"`).join(', ')}`;
  return `token "${name}" is not in the smoke token file (${held})`;
}
