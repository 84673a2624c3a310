import { describe, expect, it } from 'vitest';
import { commandFromText, showCommand, splitCommand } from './command-line.js';

describe('command lines', () => {
  it('splits a plain command, with quotes and leading variables', () => {
    expect(splitCommand(`NODE_ENV=production LOG='a b' node --enable-source-maps "dist/my server.js"`)).toEqual({
      argv: ['node', '--enable-source-maps', 'dist/my server.js'],
      env: { NODE_ENV: 'production', LOG: 'a b' },
    });
  });

  it.each(['npm run build && node dist/main.js', 'node server.js > log.txt', 'node $ENTRY', 'node *.js', 'PORT=1', ''])(
    'leaves what needs a shell to a shell: %j',
    (text) => expect(splitCommand(text)).toBeNull(),
  );

  it('runs a command that needs a shell through sh -c, as written', () => {
    expect(commandFromText('npm run build && node dist/main.js')).toEqual({
      argv: ['sh', '-c', 'npm run build && node dist/main.js'],
      env: {},
    });
    expect(commandFromText('  ')).toBeNull();
  });

  it('shows argv as one line a shell would split back the same way', () => {
    const argv = ['node', 'dist/my server.js', "it's"];
    expect(splitCommand(showCommand(argv))?.argv).toEqual(argv);
  });
});
