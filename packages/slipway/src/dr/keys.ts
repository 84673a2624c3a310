import { readFileSync } from 'node:fs';

export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** An encryption key file: 32 bytes written as 64 hexadecimal digits or as base64 (`openssl rand -hex 32`). */
export function readKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new KeyError(`backup.encryptionKeyFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new KeyError(
      `backup.encryptionKeyFile: ${file} does not hold a 32-byte key (64 hex digits or base64; openssl rand -hex 32 makes one)`,
    );
  return key;
}
