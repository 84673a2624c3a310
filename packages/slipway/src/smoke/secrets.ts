import { existsSync, readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/config.js';

/** A smoke token file and what named it, so that a mistake in the file is reported against its real source. */
export interface TokenFile {
  path: string;
  /** `--token-file`, `smoke.tokenFile`, an environment variable, or the default location. */
  source: string;
}

export const DEFAULT_TOKEN_FILE_SOURCE = 'the default smoke token file';

/** A token file that cannot be read or does not hold tokens; the message starts with where the file was named. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  constructor(
    readonly file: TokenFile,
    problem: string,
  ) {
    super(`${file.source}: ${problem}`);
  }
}

/** The token file a config names (smoke.tokenFile), or the default one in the state folder. */
export function configuredTokenFile(loaded: Pick<LoadedConfig, 'config' | 'smokeTokenFile'>): TokenFile {
  const source = loaded.config.smoke.tokenFile === undefined ? DEFAULT_TOKEN_FILE_SOURCE : 'smoke.tokenFile';
  return { path: loaded.smokeTokenFile, source };
}

/** The token file `slipway smoke` reads: the --token-file flag when given, else the configured one once it exists. */
export function smokeTokenFile(flag: string | undefined, loaded: Pick<LoadedConfig, 'config' | 'smokeTokenFile'>): TokenFile | undefined {
  if (flag !== undefined) return { path: flag, source: '--token-file' };
  const configured = configuredTokenFile(loaded);
  return existsSync(configured.path) ? configured : undefined;
}

/** The configured token file's tokens; none while the file does not exist yet (smoke.bootstrap writes it). */
export function readConfiguredSecrets(loaded: Pick<LoadedConfig, 'config' | 'smokeTokenFile'>): Record<string, string> {
  const file = configuredTokenFile(loaded);
  return existsSync(file.path) ? readSecrets(file) : {};
}

/** A token file is either one token on its own (named `token`), or a JSON object of named tokens. */
export function readSecrets(file: TokenFile): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8').trim();
  } catch (err) {
    throw new TokenFileError(file, `cannot read ${file.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text === '') throw new TokenFileError(file, `${file.path} is empty`);
  if (!text.startsWith('{')) return { token: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenFileError(file, `${file.path} starts like JSON but does not parse`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>).filter(([, v]) => typeof v === 'string' && v !== '');
  if (entries.length === 0) throw new TokenFileError(file, `${file.path} holds no tokens (no non-empty string values)`);
  return Object.fromEntries(entries) as Record<string, string>;
}
