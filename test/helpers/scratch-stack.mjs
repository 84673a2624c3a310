// A throw-away slipway stack made from the repository's own slipway.config.ts, shared by the system tests
// (test/helpers/slipway-stack.ts) and the release benchmark (bench/release.mjs). Plain JavaScript so that the
// benchmark, run by `node`, can import it; test/helpers/scratch-stack.d.mts types it for the tests.
import { chmodSync, cpSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSlipwayConfig } from '@slipway/slipway';

const QUIET = { LOG_LEVEL: 'warn', APP_ENV: 'test' };

/**
 * Copies what `npm run build` made (the config's build.include) and package-lock.json into `source/` of a new
 * temporary folder, with the repository's node_modules linked beside it, and `state/` for the stack's state. writeConfig writes a config
 * for it: the repository's, with that source and state folder, quiet logs, any free public port, and `overrides`
 * on top.
 */
export async function prepareScratchStack(root, prefix) {
  const repo = (await loadSlipwayConfig(root)).config;
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // embedded PostgreSQL runs as another user when this runs as root
  const source = path.join(dir, 'source');
  for (const rel of [...repo.build.include, 'package-lock.json']) cpSync(path.join(root, rel), path.join(source, rel), { recursive: true });
  // The installed packages the lockfile names; each release copies what it needs from here.
  symlinkSync(path.join(root, 'node_modules'), path.join(source, 'node_modules'));
  const stateDir = path.join(dir, 'state');
  const base = {
    ...repo,
    source,
    stateDir,
    build: { include: repo.build.include },
    services: Object.fromEntries(Object.entries(repo.services).map(([name, s]) => [name, { ...s, env: { ...s.env, ...QUIET } }])),
    router: { ...repo.router, port: 0 },
    // WAL archiving only where a test asks for it (a backup override): it is work every stack would do otherwise.
    backup: undefined,
  };
  return {
    dir,
    source,
    stateDir,
    repo,
    writeConfig(name, overrides = {}) {
      const file = path.join(dir, name);
      const config = { ...base, ...overrides };
      writeFileSync(
        file,
        `// written by test/helpers/scratch-stack.mjs from the repository's slipway.config.ts\nexport default ${JSON.stringify(config, null, 2)};\n`,
      );
      return file;
    },
  };
}
