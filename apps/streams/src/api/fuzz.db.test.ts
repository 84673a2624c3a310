import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, buildTestApi, type TestUser } from '../../../../test/helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/database.js';
import { ledgerInvariants } from '../../../../test/helpers/ledger.js';

// A schema-driven fuzzer over the service's own OpenAPI document: for every
// operation it sends well-formed, subtly wrong and plainly garbage requests
// (bodies, path ids, query strings, headers) and requires that none gets a 5xx.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  format?: string;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
};
interface Operation {
  method: string;
  path: string;
  body?: Schema;
  params: string[];
  query: Record<string, Schema>;
}

const nasty = fc.constantFrom(
  '',
  ' ',
  '-1',
  '0',
  '1e309',
  'NaN',
  '9'.repeat(40),
  '../../etc/passwd',
  "' OR 1=1 --",
  '\u0000',
  '💸'.repeat(50),
  'a'.repeat(5_000),
  '00000000-0000-0000-0000-000000000000',
  'null',
  '{}',
);
const anyString = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.uuid());
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nasty, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

function valid(schema: Schema, ctx: { emails: string[] }): fc.Arbitrary<unknown> {
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt) return fc.oneof(...alt.map((s) => valid(s, ctx)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = valid(s, ctx);
      return fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    }
    case 'string':
      if (schema.format === 'email') return fc.constantFrom(...ctx.emails, 'someone@example.test');
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time')
        return fc
          .date({ min: new Date(Date.now() - 60_000), max: new Date(Date.now() + 86_400_000), noInvalidDate: true })
          .map((d) => d.toISOString());
      if (schema.pattern?.includes('[1-9]')) return fc.bigInt({ min: 1n, max: 10n ** 15n }).map(String);
      return fc.string({ minLength: 1, maxLength: 30 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000, max: Math.min(schema.maximum ?? 1_000_000, 1_000_000) });
    case 'number':
      return fc.double({ noNaN: true, min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(schema.items ?? {}, ctx), { maxLength: 3 });
    default:
      return anyJson;
  }
}

/** A valid body with one thing wrong: a field missing, mistyped, out of range, or unexpected. */
function broken(schema: Schema, ctx: { emails: string[] }): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid(schema, ctx), fc.nat(), anyJson, fc.constantFrom('drop', 'retype', 'extra', 'wrap'))
    .map(([value, n, junk, how]) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return junk;
      const obj = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(schema.properties ?? {});
      const key = keys.length > 0 ? keys[n % keys.length]! : 'x';
      if (how === 'drop') delete obj[key];
      else if (how === 'retype') obj[key] = junk;
      else if (how === 'extra') obj[`unexpected_${n % 7}`] = junk;
      else return [obj];
      return obj;
    });
}

function operations(doc: {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: { in: string; name: string; schema: Schema }[]; requestBody?: { content?: Record<string, { schema: Schema }> } }
    >
  >;
}): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const query = Object.fromEntries((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({ method: method.toUpperCase(), path, params, query, ...(body ? { body } : {}) });
    }
  }
  return ops;
}

let db: TestDatabase;
let api: ApiClient;
let users: TestUser[];
let streamIds: string[];

beforeAll(async () => {
  db = await createTestDatabase('fuzz');
  api = new ApiClient(await buildTestApi(db, { LOGIN_RATE_LIMIT_PER_MINUTE: '10000' }));
  users = [await api.user('fz-a'), await api.user('fz-b')];
  await api.fund(users[0]!, 1_000_000);
  await api.fund(users[1]!, 1_000_000);
  streamIds = [
    (await api.stream(users[0]!, users[1]!, 10_000, 3600, { startAt: new Date(Date.now() - 60_000).toISOString() })).id,
    (await api.stream(users[1]!, users[0]!, 10_000, 1, { startAt: new Date(Date.now() - 60_000).toISOString() })).id,
  ];
});
afterAll(async () => {
  await api.app.close();
  await db.drop();
});

describe('fuzzing the OpenAPI document', () => {
  it('produces no 5xx over at least 2,000 generated requests', async () => {
    const doc = (await api.request('GET', '/openapi.json')).json();
    const ops = operations(doc).filter((o) => o.path.startsWith('/api/') && o.path !== '/api/auth/logout');
    expect(ops.length).toBeGreaterThanOrEqual(14);
    const ctx = { emails: users.map((u) => u.email) };

    const request = fc.constantFrom(...ops).chain((op) =>
      fc.record({
        op: fc.constant(op),
        params: fc.array(fc.oneof(fc.constantFrom(...streamIds), fc.uuid(), anyString), {
          minLength: op.params.length,
          maxLength: op.params.length,
        }),
        query: fc.oneof(
          fc.record(Object.fromEntries(Object.entries(op.query).map(([k, s]) => [k, fc.oneof(valid(s, ctx), anyString)])), {
            requiredKeys: [],
          }),
          fc.dictionary(fc.string({ maxLength: 8 }), anyString, { maxKeys: 2 }),
        ),
        body: op.body
          ? fc.oneof(
              { weight: 3, arbitrary: valid(op.body, ctx).map((v) => JSON.stringify(v)) },
              { weight: 4, arbitrary: broken(op.body, ctx).map((v) => JSON.stringify(v)) },
              { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
              { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }, // not JSON at all
            )
          : fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        auth: fc.constantFrom('user0', 'user1', 'none', 'garbage'),
        key: fc.option(fc.oneof(fc.uuid(), anyString), { nil: undefined }),
      }),
    );

    let sent = 0;
    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(request, async (r) => {
          let url = r.op.path;
          r.op.params.forEach((name, i) => (url = url.replace(`{${name}}`, encodeURIComponent(r.params[i] ?? ''))));
          const qs = new URLSearchParams(
            Object.entries(r.query).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : String(JSON.stringify(v))]),
          ).toString();
          const headers: Record<string, string> = {};
          if (r.auth === 'user0' || r.auth === 'user1') headers.authorization = `Bearer ${users[r.auth === 'user0' ? 0 : 1]!.token}`;
          if (r.auth === 'garbage') headers.authorization = 'Bearer 💸';
          if (r.key !== undefined) headers['idempotency-key'] = r.key.replace(/[^\x20-\x7e]/g, '?');
          if (r.body !== undefined) headers['content-type'] = 'application/json';
          const res = await api.app.inject({
            method: r.op.method as 'GET',
            url: qs ? `${url}?${qs}` : url,
            headers,
            ...(r.body !== undefined && r.op.method !== 'GET' ? { payload: r.body } : {}),
          });
          sent += 1;
          if (res.statusCode >= 500)
            failures.push(`${r.op.method} ${url}?${qs} ${r.body ?? ''} → ${res.statusCode} ${res.body.slice(0, 300)}`);
          if (res.statusCode >= 400) {
            const body = res.json() as { error?: { code?: unknown } };
            if (typeof body.error?.code !== 'string') failures.push(`${r.op.method} ${url}: ${res.statusCode} without a JSON error body`);
          }
          return res.statusCode < 500;
        }),
        { numRuns: 2_200, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
      )
      .catch((err: unknown) => {
        throw new Error(`${failures.join('\n')}\n${String(err)}`);
      });
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(2_000);
    expect(await ledgerInvariants(db.pool)).toMatchObject({ total: 0n, unbalancedJournals: 0, negativeAccounts: 0, driftedAccounts: 0 });
  });
});
