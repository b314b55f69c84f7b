// A real registry for tests: Debian's docker-registry (the CNCF distribution
// server), on a loopback port, with storage in a temp directory and a config
// of the test's own (plain, htpasswd basic auth, or token auth). Started and
// stopped by PID, with bounded waits.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';

const unchecked = new Agent({ connect: { rejectUnauthorized: false } });

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const hasRegistry = () => existsSync(REGISTRY_BIN);

/** A port free on 127.0.0.1 now (the registry binds it a moment later). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface TestRegistry {
  /** HOST:PORT, as references name it. */
  host: string;
  port: number;
  /** The registry's storage root (docker/registry/v2/... under it). */
  storage: string;
  log: () => string;
  stop(): Promise<void>;
}

function authConfig(auth: RegistryAuth, dir: string): string {
  if (auth.kind === 'none') return '';
  if (auth.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, '');
    // apache2-utils' htpasswd, bcrypt (-B) as the registry requires
    for (const [user, pass] of Object.entries(auth.users)) execFileSync('htpasswd', ['-bB', file, user, pass], { stdio: 'ignore' });
    return `auth:\n  htpasswd:\n    realm: glassbox-test\n    path: ${file}\n`;
  }
  return `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
}

/** Files of a certificate and its key, for a registry serving HTTPS. */
export interface TlsFiles {
  certificate: string;
  key: string;
}

export interface RegistryOptions {
  /** Serve HTTPS with this certificate. */
  tls?: TlsFiles;
  /** Send CORS headers (any origin, the registry API's request headers allowed, its response headers exposed), so a browser page can pull. */
  cors?: boolean;
  timeoutMs?: number;
}

/** The CORS headers of a registry started with `cors`: any origin, the registry API's request headers allowed, its response headers exposed. */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  // A manifest request's Accept lists four media types, longer than the 128 bytes a header may have without a preflight.
  'Access-Control-Allow-Headers': 'Accept, Authorization, Range, Content-Type, Content-Range',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH',
  'Access-Control-Expose-Headers': 'Docker-Content-Digest, Content-Range, Location, WWW-Authenticate',
};

/** Starts a registry and waits (at most `timeoutMs`) until its /v2/ answers. */
export async function startRegistry(auth: RegistryAuth = { kind: 'none' }, { tls, cors, timeoutMs = 20_000 }: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-registry-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:\n  level: warn\n  accesslog:\n    disabled: true',
      `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true`,
      `http:\n  addr: 127.0.0.1:${port}\n  secret: glassbox-test-secret`,
      tls ? `  tls:\n    certificate: ${tls.certificate}\n    key: ${tls.key}` : '',
      cors ? ['  headers:', ...Object.entries(CORS_HEADERS).map(([k, v]) => `    ${k}: ['${v}']`)].join('\n') : '',
      authConfig(auth, dir),
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGTERM');
      const killed = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}) before answering:\n${output}`);
    try {
      // Whether it answers, not whom it is: the certificate is checked by the tests.
      const res = await undiciFetch(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1000), dispatcher: unchecked });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry on 127.0.0.1:${port} did not answer /v2/ within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, port, storage, log: () => output, stop };
}
