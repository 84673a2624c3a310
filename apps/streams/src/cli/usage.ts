/** A mistake in a command's arguments: one line naming the flag, exit code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export function isUsageError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof CliUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}
