import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDebianPackage } from './process.js';

export interface TestCertificate {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as Node's `getPeerCertificate().fingerprint256` shows it. */
  fingerprint: string;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, made by openssl (installed from Debian's packages when
 * missing) into `dir` as `<name>.crt` and `<name>.key`.
 */
export function makeCertificate(dir: string, name = 'router'): TestCertificate {
  ensureDebianPackage('/usr/bin/openssl', 'openssl');
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost'].concat([
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}
