import { pathToFileURL } from 'node:url';
import { SlipwayConfigError } from '../config/config.js';
import type { HttpCheckConfig, SlipwayConfig } from '../config/schema.js';
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
      if (spec.token !== undefined && token === undefined) throw new CheckFailure(`token "${spec.token}" is not in the smoke token file`);
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
          const found = readJsonPath(body, jsonPath);
          const problem = mismatch(found, want);
          if (problem) throw new CheckFailure(`${spec.method} ${spec.path}: ${jsonPath} ${problem}`, evidence);
        }
      }
      return `${res.status}`;
    },
  };
}

type Found = { present: true; value: unknown } | { present: false };

function mismatch(found: Found, want: unknown): string | undefined {
  if (isExistence(want)) {
    if (want.exists && !found.present) return 'is missing';
    if (!want.exists && found.present) return `is present (${JSON.stringify(found.value)})`;
    return undefined;
  }
  if (!found.present) return `is missing, expected ${JSON.stringify(want)}`;
  if (!deepEqual(found.value, want)) return `is ${JSON.stringify(found.value)}, expected ${JSON.stringify(want)}`;
  return undefined;
}

function isExistence(value: unknown): value is { exists: boolean } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { exists?: unknown }).exists === 'boolean'
  );
}

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;

/** The value at a JSON path of the forms `$`, `$.a.b`, `$.items[0]`, `$["odd key"]`. */
export function readJsonPath(root: unknown, jsonPath: string): Found {
  if (!jsonPath.startsWith('$')) throw new Error(`JSON path must start with $: ${jsonPath}`);
  let value: unknown = root;
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < jsonPath.length) {
    const at = SEGMENT.lastIndex;
    const m = SEGMENT.exec(jsonPath);
    if (!m) throw new Error(`JSON path ${jsonPath}: cannot read from position ${at}`);
    const key = m[1] ?? (m[3] === undefined ? undefined : (JSON.parse(`"${m[3]}"`) as string));
    if (key !== undefined) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return { present: false };
      value = (value as Record<string, unknown>)[key];
    } else {
      const index = Number(m[2]);
      if (!Array.isArray(value) || index >= value.length) return { present: false };
      value = value[index];
    }
  }
  return { present: true, value };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
