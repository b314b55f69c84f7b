// The WWW-Authenticate Bearer flow against docker-registry configured for
// token authentication, with a token service of the test's own
// (test/support/token-server.ts) whose JWTs the registry verifies.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { login, pullToStore, pushFromStore } from '../../src/containers/registry/store-transfer.ts';
import type { Progress } from '../../src/containers/registry/progress.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry-server.ts';
import { startTokenServer, type TokenServer } from '../support/token-server.ts';

const PASSWORD = 'bob-secret-9';
const newHome = () => mkdtempSync(join(tmpdir(), 'glassbox-regtoken-'));

describe.skipIf(!hasRegistry())('registry: token authentication (Bearer) against docker-registry', () => {
  let tokens: TokenServer;
  let reg: TestRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({ bob: PASSWORD });
    reg = await startRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.close();
  });

  it('logs in, pushes, mounts across repositories and pulls with tokens for exactly the scopes each request needs', async () => {
    const home = newHome();
    const wrong = await login(reg.host, { username: 'bob', password: 'nope' }, { home }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(wrong?.message).toMatch(new RegExp(`^${reg.host}'s token service refused the credentials of user bob: 401 Unauthorized`));
    expect(readdirSync(home)).not.toContain('auth.json');

    await login(reg.host, { username: 'bob', password: PASSWORD }, { home });
    expect(tokens.requests.at(-1)).toEqual({ user: 'bob', scopes: [] });

    const store = ImageStore.open(home);
    for (const repo of ['team/a', 'team/b']) store.add({ blobs: new Map(), images: [{ name: `${reg.host}/${repo}:1`, manifest: store.resolve('busybox').manifest }] });
    tokens.requests.length = 0;
    const { digest } = await pushFromStore(store, `${reg.host}/team/a:1`, { home });
    expect(tokens.requests.every((r) => r.user === 'bob')).toBe(true);
    expect(new Set(tokens.requests.map((r) => r.scopes.join(' ')))).toEqual(new Set(['repository:team/a:pull,push']));

    tokens.requests.length = 0;
    const events: Progress[] = [];
    await pushFromStore(store, `${reg.host}/team/b:1`, { home, progress: (p) => events.push(p) });
    expect(events.map((e) => e.status)).toContain('Mounted from team/a');
    // A mount needs push on the target and pull on the source, in one token.
    expect(tokens.requests.map((r) => r.scopes)).toContainEqual(['repository:team/b:pull,push', 'repository:team/a:pull']);

    const other = ImageStore.open(newHome());
    other.rmi('busybox');
    const anonymous = await pullToStore(other, `${reg.host}/team/b:1`, { home: join(other.root, '..') }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(anonymous?.message).toMatch(new RegExp(`${reg.host} refused the token its token service gave for repository:team/b:pull: run glassbox login ${reg.host}`));
    expect(other.list()).toEqual([]);

    const pulled = await pullToStore(other, `${reg.host}/team/b:1`, { home: join(other.root, '..'), credentials: { username: 'bob', password: PASSWORD } });
    expect(pulled.digest).toBe(digest);
    // skopeo, through the same token service (in this process: so not execFileSync), sees the same image.
    const { stdout: raw } = await promisify(execFile)('skopeo', ['inspect', '--tls-verify=false', '--creds', `bob:${PASSWORD}`, '--raw', `docker://${reg.host}/team/b:1`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(Buffer.from(raw)).toEqual(Buffer.from(other.blob(digest)));
    expect(readFileSync(join(home, 'auth.json'), 'utf8')).not.toContain(PASSWORD);
  });
});
