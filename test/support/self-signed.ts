// Test certificates made by the host's openssl: a P-256 key and a
// self-signed certificate for it, good for two days (a test CA, a token
// issuer's signing certificate).

import { execFileSync } from 'node:child_process';

/** Writes a new key to `keyFile` and its self-signed certificate, subject `subject` (e.g. "/CN=name"), to `certFile`. */
export function selfSigned(keyFile: string, certFile: string, subject: string): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', subject],
    { stdio: 'ignore' },
  );
}
