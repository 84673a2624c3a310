import { parse } from 'shell-quote';

/** A command as Slipway runs it: argv without a shell, and the variables written before it (`NODE_ENV=production node …`). */
export interface CommandLine {
  argv: string[];
  env: Record<string, string>;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * Splits a command line the way a shell would, when it needs no shell: null when it uses operators (`&&`, `|`, `>`),
 * variables, globs or comments, or is empty.
 */
export function splitCommand(text: string): CommandLine | null {
  let needsShell = false;
  const tokens = parse(text, (name) => {
    needsShell = true;
    return `$${name}`;
  });
  if (needsShell || tokens.some((t) => typeof t !== 'string')) return null;
  const words = tokens as string[];
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i += 1) {
    const m = ASSIGNMENT.exec(words[i]!);
    if (!m) break;
    env[m[1]!] = m[2]!;
  }
  const argv = words.slice(i);
  return argv.length > 0 ? { argv, env } : null;
}

/** A command given on the command line: split when it can be, else run by `sh -c` as written. */
export function commandFromText(text: string): CommandLine | null {
  if (text.trim() === '') return null;
  return splitCommand(text) ?? { argv: ['sh', '-c', text], env: {} };
}

/** The same command as one line, for people to read. */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
