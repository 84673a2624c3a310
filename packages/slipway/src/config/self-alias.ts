import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Module aliases for loading a slipway.config.ts: `@slipway/slipway` and each of its subpath exports resolve to the
 * Slipway that reads the config. A service folder outside this repository (where `slipway init` writes a config
 * importing `defineConfig`) need not install Slipway itself, and a config never meets another copy of it.
 */
export function selfAliases(): Record<string, string> {
  const here = fileURLToPath(import.meta.url);
  // <package>/dist/config/self-alias.js when built, <package>/src/config/self-alias.ts when run from the sources (tests).
  const packageDir = path.resolve(path.dirname(here), '..', '..');
  const fromSources = here.endsWith('.ts');
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, { default: string }>;
  };
  const aliases: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const file = fromSources ? target.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts') : target.default;
    aliases[`${manifest.name}${subpath.slice(1)}`] = path.join(packageDir, file);
  }
  return aliases;
}
