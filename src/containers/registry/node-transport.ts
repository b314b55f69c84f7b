// The registry client's Node side: fetch (undici) trusting the system's
// certificate authorities, as Docker and skopeo do, rather than Node's
// bundled list, so a registry signed by a company CA the machine trusts
// works; and Node's native sha256, several times faster than the portable one.
// undici is loaded only for HTTPS (it alone takes the CAs); plain HTTP to a
// loopback or --insecure-registry host goes through Node's own fetch, which
// spares a pull a quarter second of loading on a busy machine.

import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
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
  let tls: Promise<typeof globalThis.fetch> | undefined;
  const httpsFetch = async () => {
    const { Agent, fetch } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: systemCAs(env) } });
    return ((input: string | URL, init?: RequestInit) => fetch(input, { ...(init as object), dispatcher })) as unknown as typeof globalThis.fetch;
  };
  return (async (input: string | URL, init?: RequestInit) => {
    if (new URL(input).protocol !== 'https:') return globalThis.fetch(input, init);
    return (await (tls ??= httpsFetch()))(input, init);
  }) as typeof globalThis.fetch;
}

export const nodeHasher: HasherFactory = () => {
  const h = createHash('sha256');
  return { update: (d) => void h.update(d), digest: () => 'sha256:' + h.digest('hex') };
};

/** zlib inflates on libuv's thread pool, so a layer is decompressed (for its diff_id) while the rest of it downloads. */
const GUNZIP_CHUNK = 1 << 20;

export const nodeDiffId: DiffIdOf = (gzip) => {
  const h = createHash('sha256');
  if (!gzip) return { update: (c) => void h.update(c), digest: () => Promise.resolve('sha256:' + h.digest('hex')), cancel: () => {} };
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const done = new Promise<string>((resolve, reject) => {
    gunzip.on('data', (c: Buffer) => h.update(c));
    gunzip.on('end', () => resolve('sha256:' + h.digest('hex')));
    gunzip.on('error', reject);
  });
  // Until digest() is asked for, a failure is only remembered (a cancelled one is never asked for).
  done.catch(() => {});
  return {
    update: (c) => void gunzip.write(c),
    digest: () => (gunzip.end(), done),
    cancel: () => void gunzip.destroy(),
  };
};
