import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadSlipwayConfig } from './config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('loads a config that imports @slipway/slipway (and a subpath export) from a folder where Slipway is not installed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'slipway-alias-'));
  dirs.push(dir);
  writeFileSync(
    path.join(dir, 'slipway.config.ts'),
    `import { defineConfig } from '@slipway/slipway';
import { runSmoke } from '@slipway/slipway/smoke';
export default defineConfig({
  build: { include: ['server.js'] },
  database: false,
  services: { web: { command: ['node', 'server.js'], routes: ['/'] } },
  smoke: { checks: [{ name: \`runSmoke is a \${typeof runSmoke}\`, path: '/' }] },
});
`,
  );
  const { config } = await loadSlipwayConfig(dir);
  expect(config.services.web?.command).toEqual(['node', 'server.js']);
  expect(config.smoke.checks.map((c) => c.name)).toEqual(['runSmoke is a function']);
});
