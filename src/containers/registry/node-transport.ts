// The registry client's Node side: fetch (undici) trusting the system's
// certificate authorities, as Docker and skopeo do, rather than Node's
// bundled list, so a registry signed by a company CA the machine trusts
// works; and Node's native sha256, several times faster than the portable one.

import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import type { HasherFactory } from './hash.ts';
import type { DiffIdOf } from './pull.ts';

/** Where Debian (and derivatives), Fedora/RHEL and Alpine keep the system's CA bundle. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/** The system's CAs: $SSL_CERT_FILE as OpenSSL reads it, else the distribution's bundle, else Node's own list. */
export function systemCAs(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.SSL_CERT_FILE ?? SYSTEM_BUNDLES.find((f) => existsSync(f));
  return file ? [readFileSync(file, 'utf8')] : [...rootCertificates];
}

export function nodeFetch(env: NodeJS.ProcessEnv = process.env): typeof globalThis.fetch {
  const dispatcher = new Agent({ connect: { ca: systemCAs(env) } });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof globalThis.fetch;
}

export const nodeHasher: HasherFactory = () => {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => 'sha256:' + h.digest('hex') };
};

/** zlib's inflate runs on libuv's thread pool, so checking one layer's diff_id overlaps downloading the next. */
const GUNZIP_CHUNK = 1 << 20;

export const nodeDiffId: DiffIdOf = (blob, gzip) => {
  const h = createHash('sha256');
  if (!gzip) return Promise.resolve('sha256:' + h.update(blob).digest('hex'));
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
    gunzip.on('data', (c: Buffer) => h.update(c));
    gunzip.on('end', () => resolve('sha256:' + h.digest('hex')));
    gunzip.on('error', reject);
    gunzip.end(blob);
  });
};
