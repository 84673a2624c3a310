#!/usr/bin/env node
// What PostgreSQL runs for each WAL file (kept small, so each call starts fast):
//   archive_command = 'node wal-command.js push --repo DIR|s3://bucket/prefix?… [--key-file F] [--no-compress] %p %f'
//   restore_command = 'node wal-command.js fetch --repo DIR [--key-file F] [--until-wal NAME] %f %p'
// --until-wal makes segments after NAME unavailable: a drill restores what was archived when it began, as if the
// primary had been lost then.
// Exit 0: done. Exit 1 (fetch): the archive does not have it, which ends recovery there. A file that is there but
// damaged, or a key that does not open it, must not end recovery quietly with less data: exit 128, which PostgreSQL
// takes as the command failing outright and stops recovery with an error. A failed push exits 3; PostgreSQL retries it.
import { parseArgs } from 'node:util';
import { readKey } from './keys.js';
import { openRepository } from './open-repository.js';
import { fetchWal, isSegment, pushWal } from './wal.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      repo: { type: 'string' },
      'key-file': { type: 'string' },
      'no-compress': { type: 'boolean', default: false },
      'until-wal': { type: 'string' },
    },
  });
  const [action, first, second] = positionals;
  if (!values.repo || !first || !second || (action !== 'push' && action !== 'fetch')) {
    process.stderr.write('usage: wal-command.js push|fetch --repo DIR [--key-file FILE] [--no-compress] <path> <name> | <name> <path>\n');
    return 2;
  }
  const repository = await openRepository(values.repo);
  const key = values['key-file'] ? readKey(values['key-file']) : null;
  if (action === 'push') {
    await pushWal(repository, first, second, { compress: !values['no-compress'], key });
    return 0;
  }
  const until = values['until-wal'];
  if (until && isSegment(first) && first.slice(8) > until.slice(8)) return 1;
  return (await fetchWal(repository, first, second, key)) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`slipway wal: ${err.message}\n`);
    process.exit(process.argv.includes('fetch') ? 128 : 3);
  },
);
