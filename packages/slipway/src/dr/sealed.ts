import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

// How every file sits in a backup repository: a small header, then the (compressed, optionally encrypted) bytes.
// The header carries the SHA-256 of the original bytes, so a file is checked whole on the way out whatever
// happened to it; with a key, AES-256-GCM also authenticates it — header and the file's name in the repository
// included — so a wrong key, a changed byte, a file moved to another name or one planted without the key is refused.
//
//   "SLWB" | version 1 | flags (1 gzip, 2 encrypted) | sha256 of the original (32) | [iv (12) | tag (16)] | payload

const MAGIC = Buffer.from('SLWB');
const VERSION = 1;
const GZIP = 1;
const ENCRYPTED = 2;
const HEADER = MAGIC.length + 2 + 32;

export class DamagedFileError extends Error {
  override readonly name = 'DamagedFileError';
}

export interface SealOptions {
  compress: boolean;
  /** 32 bytes: AES-256-GCM. Lose it and the backups are lost with it. */
  key: Buffer | null;
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** `name` is the file's key in the repository: with a key, it is authenticated with the file. */
export function seal(plain: Buffer, options: SealOptions, name: string): Buffer {
  const flags = (options.compress ? GZIP : 0) | (options.key ? ENCRYPTED : 0);
  const header = Buffer.concat([MAGIC, Buffer.from([VERSION, flags]), createHash('sha256').update(plain).digest()]);
  let payload = options.compress ? gzipSync(plain, { level: 6 }) : plain;
  if (!options.key) return Buffer.concat([header, payload]);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', options.key, iv);
  // The header is authenticated too: flipping its flags or checksum is caught like any other change.
  cipher.setAAD(Buffer.concat([header, Buffer.from(name)]));
  payload = Buffer.concat([cipher.update(payload), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), payload]);
}

/** The SHA-256 of the original bytes, as the header records it (without opening the file). */
export function sealedChecksum(sealed: Buffer, name: string): string {
  if (sealed.length < HEADER || !sealed.subarray(0, 4).equals(MAGIC))
    throw new DamagedFileError(`${name}: not a Slipway backup file (bad header)`);
  return sealed.subarray(6, HEADER).toString('hex');
}

/** The original bytes; `name` is how errors call the file. */
export function open(sealed: Buffer, key: Buffer | null, name: string): Buffer {
  const checksum = sealedChecksum(sealed, name);
  if (sealed[4] !== VERSION) throw new DamagedFileError(`${name}: written by a newer Slipway (format ${sealed[4]})`);
  const flags = sealed[5]!;
  let payload = sealed.subarray(HEADER);
  if (key && !(flags & ENCRYPTED)) throw new DamagedFileError(`${name}: not encrypted, though the repository's files are: refused`);
  if (flags & ENCRYPTED) {
    if (!key) throw new DamagedFileError(`${name}: encrypted, and no key was given (backup.encryptionKeyFile)`);
    const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, 12));
    decipher.setAAD(Buffer.concat([sealed.subarray(0, HEADER), Buffer.from(name)]));
    decipher.setAuthTag(payload.subarray(12, 28));
    try {
      payload = Buffer.concat([decipher.update(payload.subarray(28)), decipher.final()]);
    } catch {
      throw new DamagedFileError(`${name}: the key does not open it, or the file was changed (authentication failed)`);
    }
  }
  let plain: Buffer;
  try {
    plain = flags & GZIP ? gunzipSync(payload) : payload;
  } catch {
    throw new DamagedFileError(`${name}: damaged (it does not decompress)`);
  }
  if (sha256(plain) !== checksum) throw new DamagedFileError(`${name}: checksum mismatch (the file was changed after it was written)`);
  return plain;
}
