import { existsSync } from 'node:fs';
import path from 'node:path';
import { createJiti } from 'jiti';
import { slipwayConfigSchema, type SlipwayConfig, type SlipwayConfigInput } from './schema.js';
import { selfAliases } from './self-alias.js';

export { slipwayConfigSchema, type SlipwayConfig, type SlipwayConfigInput } from './schema.js';

export function defineConfig(config: SlipwayConfigInput): SlipwayConfigInput {
  return config;
}

export const CONFIG_FILE = 'slipway.config.ts';

export class SlipwayConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlipwayConfigError';
  }
}

export interface LoadedConfig {
  config: SlipwayConfig;
  file: string;
  /** Resolves a path written in the config relative to the config file. */
  resolve(p: string): string;
  /** The working tree that is built and released. */
  source: string;
  /** Where releases, events, history and the control socket live. */
  stateDir: string;
  /** The smoke suite's token file: smoke.tokenFile, or smoke-tokens.json in the state folder. */
  smokeTokenFile: string;
}

/** Finds slipway.config.ts from `cwd` upwards and validates it; every mistake names its path in the file. */
export async function loadSlipwayConfig(cwd = process.cwd(), explicit?: string, stateDirOverride?: string): Promise<LoadedConfig> {
  const file = explicit ? path.resolve(cwd, explicit) : findUp(cwd);
  if (!file) throw new SlipwayConfigError(`no ${CONFIG_FILE} in ${cwd} or any folder above it`);
  if (!existsSync(file)) throw new SlipwayConfigError(`${file}: no such file`);
  let loaded: unknown;
  try {
    loaded = await createJiti(import.meta.url, { interopDefault: true, alias: selfAliases() }).import(file, { default: true });
  } catch (err) {
    throw new SlipwayConfigError(`${file}: cannot be loaded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = slipwayConfigSchema.safeParse(loaded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length ? issue.path.join('.') : '(the exported object)';
    throw new SlipwayConfigError(`${path.basename(file)}: ${at}: ${issue.message}`);
  }
  const dir = path.dirname(file);
  const resolve = (p: string) => path.resolve(dir, p);
  const stateDir = stateDirOverride ? path.resolve(cwd, stateDirOverride) : resolve(parsed.data.stateDir);
  const smokeTokenFile = parsed.data.smoke.tokenFile ? resolve(parsed.data.smoke.tokenFile) : path.join(stateDir, 'smoke-tokens.json');
  return { config: parsed.data, file, resolve, source: resolve(parsed.data.source ?? '.'), stateDir, smokeTokenFile };
}

function findUp(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The embedded database's folder (database.embedded.dataDir, else the state folder); null without an embedded database. */
export function embeddedDataDir(loaded: LoadedConfig): string | null {
  const { database } = loaded.config;
  if (database === false || 'url' in database) return null;
  return loaded.resolve(database.embedded.dataDir ?? loaded.stateDir);
}
