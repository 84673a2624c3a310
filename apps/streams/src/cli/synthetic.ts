import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPool } from '../db/pool.js';
import { bootstrapSynthetic, SYNTHETIC_USERS, type SyntheticName } from '../domain/synthetic.js';
import { CliUsageError } from './usage.js';

const DEFAULT_TOKEN_FILE = '.slipway/smoke-tokens.json';

function readKnownTokens(file: string): Partial<Record<SyntheticName, string>> {
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(Object.keys(SYNTHETIC_USERS).flatMap((k) => (typeof parsed[k] === 'string' ? [[k, parsed[k]]] : [])));
  } catch {
    return {}; // unreadable: issue fresh tokens and overwrite it
  }
}

/** `streams synthetic:bootstrap [--token-file F] [--rotate] [--floor N]`: prepares the smoke suite's identities. */
export async function bootstrapCommand(argv: string[], databaseUrl: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'token-file': { type: 'string', default: process.env.SMOKE_TOKEN_FILE ?? DEFAULT_TOKEN_FILE },
      rotate: { type: 'boolean', default: false },
      floor: { type: 'string', default: '10000000' },
    },
  });
  if (!/^[1-9][0-9]{0,15}$/.test(values.floor))
    throw new CliUsageError(`--floor: "${values.floor}" is not a positive whole number of minor units`);
  const file = path.resolve(values['token-file']);
  const pool = createPool(databaseUrl, { max: 2, applicationName: 'streams-synthetic-bootstrap' });
  try {
    const result = await bootstrapSynthetic(pool, { known: readKnownTokens(file), rotate: values.rotate, floor: BigInt(values.floor) });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result.tokens, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    const reused = result.reusedTokens.length ? `reused tokens: ${result.reusedTokens.join(', ')}` : 'issued new tokens';
    const funded = result.funded.map((f) => `${f.name} +${f.amount}`).join(', ') || 'none needed';
    out.write(`synthetic users ready (${Object.values(SYNTHETIC_USERS).join(', ')}); ${reused}; top-ups: ${funded}; tokens in ${file}\n`);
  } finally {
    await pool.end();
  }
}
