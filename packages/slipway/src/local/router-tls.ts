import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { SecureContextOptions } from 'node:tls';

export interface TlsFiles {
  /** PEM certificate chain file. */
  cert: string;
  /** PEM private key file. */
  key: string;
}

/** Reads the certificate and key; throws naming the file that cannot be read. */
export function readTlsFiles(files: TlsFiles): Pick<SecureContextOptions, 'cert' | 'key'> {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return { cert: read('certificate', files.cert), key: read('key', files.key) };
}

/**
 * Calls `onChange` (debounced) when the certificate or key file is written or replaced. The folders are watched,
 * not the files, so that a file replaced by a rename (as certbot and cert-manager do) is still seen.
 */
export function watchTlsFiles(files: TlsFiles, onChange: () => void): () => void {
  const names = new Map<string, Set<string>>();
  for (const file of [files.cert, files.key]) {
    const dir = path.dirname(path.resolve(file));
    names.set(dir, (names.get(dir) ?? new Set()).add(path.basename(file)));
  }
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [...names].map(([dir, wanted]) =>
    watch(dir, (_event, name) => {
      if (name !== null && !wanted.has(name.toString())) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
