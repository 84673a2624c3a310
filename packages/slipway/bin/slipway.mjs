#!/usr/bin/env node
// The `slipway` command as npm links it (npx slipway, node_modules/.bin/slipway). The CLI is compiled TypeScript
// (dist/cli.js) and build output is not committed, so the first run in a fresh checkout builds it with the
// repository's TypeScript, or says how to when it cannot.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = path.join(packageDir, 'dist', 'cli.js');

function fail(message) {
  process.stderr.write(`slipway: ${message}\n`);
  process.exit(1);
}

function typescriptCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

/** tsc -b on this package builds it and the packages it references (@slipway/runtime). */
function build() {
  const tsc = typescriptCompiler();
  if (!tsc) fail(`${cli} is not built and TypeScript is not installed to build it: run npm install, then npm run build`);
  process.stderr.write(
    `slipway: first run in this checkout: building the CLI (tsc -b ${path.relative(process.cwd(), packageDir) || '.'})\n`,
  );
  // The compiler's output goes to stderr: stdout belongs to the command (--json).
  const result = spawnSync(process.execPath, [tsc, '-b', packageDir], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0 || !existsSync(cli))
    fail(`building the CLI failed (tsc exit code ${result.status ?? result.signal}); run npm run build to see why`);
}

if (!existsSync(cli)) build();
await import(pathToFileURL(cli).href);
