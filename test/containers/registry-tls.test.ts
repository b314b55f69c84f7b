// HTTPS to a registry, trusting the system's CAs ($SSL_CERT_FILE, as OpenSSL
// and Go read it, standing in for the system bundle here): docker-registry
// serving TLS with a certificate for 127.0.0.1 signed by a test CA. The
// client pulls when that CA is trusted and refuses, naming why, when not.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_IMAGE_DIR } from '../../src/containers/store/image-store.ts';
import { readFileSync } from 'node:fs';
import { RegistryClient } from '../../src/containers/registry/client.ts';
import { nodeFetch, nodeHasher } from '../../src/containers/registry/node-transport.ts';
import { pullImage } from '../../src/containers/registry/pull.ts';
import { parseReference } from '../../src/containers/registry/reference.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { selfSigned } from '../support/self-signed.ts';

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });

/** A CA, and a server certificate for IP 127.0.0.1 it signed. */
function certificates(dir: string, name: string) {
  const f = (x: string) => join(dir, `${name}-${x}`);
  selfSigned(f('ca.key'), f('ca.pem'), `/CN=${name} test CA`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.pem'), '-days', '2', '-extfile', f('ext'));
  return { ca: f('ca.pem'), certificate: f('srv.pem'), key: f('srv.key') };
}

describe.skipIf(!hasRegistry())('registry over HTTPS, trusting the system CAs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-tls-'));
  let reg: TestRegistry;
  let certs: ReturnType<typeof certificates>;
  beforeAll(async () => {
    certs = certificates(dir, 'ours');
    reg = await startRegistry({ kind: 'none' }, { tls: certs });
    // An image in it, put there by skopeo.
    execFileSync('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${BASE_IMAGE_DIR}:latest`, `docker://${reg.host}/secure:1`], {
      stdio: 'ignore',
      timeout: 60_000,
    });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  const pull = (caFile: string) => {
    const client = new RegistryClient(reg.host, { fetch: nodeFetch({ SSL_CERT_FILE: caFile }), hasher: nodeHasher });
    expect(client.base).toBe(`https://${reg.host}`);
    return pullImage(client, parseReference(`${reg.host}/secure:1`), { has: () => false, hasher: nodeHasher });
  };

  it("pulls when the registry's CA is among the trusted ones", async () => {
    const pulled = await pull(certs.ca);
    expect(pulled.manifest.digest).toBe(JSON.parse(readFileSync(join(BASE_IMAGE_DIR, 'index.json'), 'utf8')).manifests[0].digest);
  });

  it('refuses, naming the certificate problem, when no trusted CA signed it', async () => {
    const stranger = certificates(dir, 'stranger');
    const e = await pull(stranger.ca).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e?.message).toMatch(
      new RegExp(`cannot reach registry ${reg.host} \\(https://${reg.host}\\).*TLS: .*(self.signed|unable to (get|verify)).*no CA this machine trusts vouches`, 'i'),
    );
  });
});
