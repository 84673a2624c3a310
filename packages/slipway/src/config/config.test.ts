import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSlipwayConfig, SlipwayConfigError } from './config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const minimal = {
  build: { include: ['dist'] },
  services: { api: { command: ['node', 'dist/main.js'], routes: ['/'] }, worker: { command: ['node', 'dist/worker.js'], singleton: true } },
  smoke: { suite: 'dist/smoke.js' },
};

async function load(config: unknown) {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-config-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'slipway.config.ts'), `export default ${JSON.stringify(config)};\n`);
  return loadSlipwayConfig(dir);
}

describe('slipway.config.ts', () => {
  it('fills the defaults a newcomer can rely on', async () => {
    const { config, stateDir, source, smokeTokenFile } = await load(minimal);
    expect(config.strategy).toEqual({
      type: 'canary',
      steps: [
        { weight: 10, hold: 30_000 },
        { weight: 50, hold: 30_000 },
      ],
    });
    expect(config.analysis.minRequests).toBe(100);
    expect(config.services.api).toMatchObject({ replicas: 1, portEnv: 'PORT', singleton: false });
    expect(config.database).toEqual({ embedded: { name: 'app' } });
    expect(stateDir).toBe(path.join(source, '.slipway'));
    expect(smokeTokenFile).toBe(path.join(stateDir, 'smoke-tokens.json'));
  });

  it('reads durations written in words', async () => {
    const { config } = await load({
      ...minimal,
      strategy: {
        type: 'canary',
        steps: [
          { weight: 20, hold: '1.5s' },
          { weight: 60, hold: '2m' },
        ],
      },
    });
    expect(config.strategy.steps.map((s) => s.hold)).toEqual([1_500, 120_000]);
  });

  it.each([
    [{ ...minimal, strategy: { steps: [{ weight: 20, hold: 'soon' }] } }, /strategy\.steps\.0\.hold: "soon" is not a duration/],
    [
      {
        ...minimal,
        strategy: {
          steps: [
            { weight: 50, hold: '1s' },
            { weight: 20, hold: '1s' },
          ],
        },
      },
      /strategy\.steps\.1\.weight: weights must not decrease/,
    ],
    [{ ...minimal, services: { api: { command: ['x'] } } }, /services: exactly one service must serve routes \(found 0\)/],
    [{ ...minimal, services: { api: { command: ['x'], routes: ['/api'] } } }, /services\.api\.routes: .*use \["\/"\]/],
    [{ ...minimal, analysis: { maxErrorRate: 2 } }, /analysis\.maxErrorRate: /],
    [{ ...minimal, router: { port: 70_000 } }, /router\.port: /],
    [{ ...minimal, services: { ...minimal.services, api: { ...minimal.services.api, replicas: 0 } } }, /services\.api\.replicas: /],
    [{ ...minimal, typo: true }, /typo/],
    [{ ...minimal, kubernetes: { chart: 'chart', release: 'api', environments: {} } }, /kubernetes\.environments: name at least one/],
    [{ ...minimal, backup: { keep: 0 } }, /backup\.keep: /],
    [{ ...minimal, backup: { archiveTimeout: '200ms' } }, /backup\.archiveTimeout: at least 1s/],
    [{ ...minimal, database: false, backup: {} }, /backup: backups are taken of the embedded database/],
    [{ ...minimal, backup: { repository: { s3: { bucket: 'Not_A_Bucket' } } } }, /backup\.repository/],
    [
      { ...minimal, kubernetes: { chart: 'chart', release: 'api', environments: { prod: { namespace: 'Prod_NS' } } } },
      /kubernetes\.environments\.prod\.namespace: a Kubernetes name/,
    ],
    [
      { ...minimal, kubernetes: { chart: 'chart', release: 'api', environments: { dev: { namespace: 'dev', prometheus: 'ftp://x' } } } },
      /kubernetes\.environments\.dev\.prometheus: /,
    ],
  ])('names the path of a mistake (%#)', async (config, message) => {
    const error = await load(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlipwayConfigError);
    expect((error as Error).message).toMatch(message);
  });
});
