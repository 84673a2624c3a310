import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rule in eslint.config.js that keeps imports going one way: cli → commands → engine → interfaces.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const inEngine = 'packages/slipway/src/engine/example.ts';

describe('the engine imports no backend, command or CLI', () => {
  it.each([
    ['the local backend', '../local/metrics.js'],
    ['the local supervisor', '../local/up.js'],
    ['a Kubernetes backend', '../kubernetes/helm.js'],
    ['a command', '../commands/release.js'],
    ['the CLI', '../cli.js'],
    ['the smoke command', '../smoke/command.js'],
  ])('fails a change in engine/ that imports %s (%s)', async (_what, source) => {
    const messages = await restrictedImports(`import { thing } from '${source}';\nexport const value = thing;\n`, inEngine);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
    expect(messages[0]).toContain(source);
  });

  it('fails an import of local/ from a folder inside engine/ too, and a type-only one', async () => {
    const code = `import type { RouterMetrics } from '../../local/metrics.js';\nexport type Value = RouterMetrics;\n`;
    const messages = await restrictedImports(code, 'packages/slipway/src/engine/testing/example.ts');
    expect(messages).toEqual([expect.stringMatching(/^no-restricted-imports: /)]);
  });

  it('passes the engine importing its own modules and the layers below it', async () => {
    const code = [
      `import { ReleaseCounters } from './measurements.js';`,
      `import type { LoadedConfig } from '../config/config.js';`,
      `import { runSmoke } from '../smoke/runner.js';`,
      `export const counters = new ReleaseCounters();`,
      `export type Loaded = LoadedConfig;`,
      `export const run = runSmoke;`,
      '',
    ].join('\n');
    expect(await restrictedImports(code, inEngine)).toEqual([]);
  });

  it('lets local/ import the engine and its own modules: the rule is about engine/ only', async () => {
    const code = `import { ReleaseCounters } from '../engine/measurements.js';\nimport type { RouterMetrics } from './metrics.js';\nexport const counters: RouterMetrics | ReleaseCounters = new ReleaseCounters();\n`;
    expect(await restrictedImports(code, 'packages/slipway/src/local/example.ts')).toEqual([]);
  });

  it('holds for every file in engine/ today', async () => {
    const results = await eslint.lintFiles(['packages/slipway/src/engine/**/*.ts']);
    expect(results.length).toBeGreaterThan(5);
    const broken = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(broken).toEqual([]);
  });
});
