/** A word as a POSIX shell reads it back: left bare when it is safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line as a shell reads it back. */
export const shellLine = (argv: readonly string[]): string => argv.map(shellWord).join(' ');
