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
 * Calls `onChange` (debounced) when anything changes in the folders of the certificate and key: the folders are
 * watched, not the files, so that a file replaced by a rename (certbot) or a swapped symlink (a Kubernetes secret
 * volume's `..data`) is still seen. A folder that can no longer be watched is reported through `onError`.
 */
export function watchTlsFiles(files: TlsFiles, onChange: () => void, onError: (message: string) => void): () => void {
  const dirs = new Set([files.cert, files.key].map((file) => path.dirname(path.resolve(file))));
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [...dirs].map((dir) =>
    watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    }).on('error', (err) => onError(`cannot watch ${dir} for certificate changes: ${err.message}`)),
  );
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
