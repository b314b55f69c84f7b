// Image references as Docker normalizes them (the cases Docker's and
// distribution's documentation give), WWW-Authenticate challenges as the
// distribution spec shows them, and which registries are reached over plain
// HTTP (loopback, as Docker allows, and --insecure-registry hosts).

import { describe, it, expect } from 'vitest';
import { familiarString, parseReference } from '../../src/containers/registry/reference.ts';
import { parseChallenges } from '../../src/containers/registry/auth.ts';
import { clientFor } from '../../src/containers/registry/store-transfer.ts';

const HEX = 'a'.repeat(64);

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io', 'library/busybox', undefined, undefined, 'busybox:latest'],
    ['docker.io/library/busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'busybox:1.36'],
    ['index.docker.io/foo/bar', 'docker.io', 'foo/bar', undefined, undefined, 'foo/bar:latest'],
    ['foo/bar:v1', 'docker.io', 'foo/bar', 'v1', undefined, 'foo/bar:v1'],
    ['localhost/foo', 'localhost', 'foo', undefined, undefined, 'localhost/foo:latest'],
    ['localhost:5000/foo/bar:tag', 'localhost:5000', 'foo/bar', 'tag', undefined, 'localhost:5000/foo/bar:tag'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app', undefined, undefined, '127.0.0.1:5000/app:latest'],
    ['ghcr.io/owner/image:1.0', 'ghcr.io', 'owner/image', '1.0', undefined, 'ghcr.io/owner/image:1.0'],
    [`busybox@sha256:${HEX}`, 'docker.io', 'library/busybox', undefined, `sha256:${HEX}`, `busybox@sha256:${HEX}`],
    [`foo.com/bar:1@sha256:${HEX}`, 'foo.com', 'bar', '1', `sha256:${HEX}`, `foo.com/bar@sha256:${HEX}`],
  ])('%s', (text, domain, repository, tag, digest, familiar) => {
    const r = parseReference(text);
    expect(r).toEqual({ domain, repository, tag, digest });
    expect(familiarString(r)).toBe(familiar);
  });

  it.each([
    ['Busybox', /must be lower case/],
    ['busybox:', /invalid tag ""/],
    ['busybox@sha256:abc', /sha256: and 64 lower-case hex digits/],
    ['', /components/],
    ['foo//bar', /components/],
    ['-foo.com/bar', /invalid registry/],
  ])('refuses %j', (text, message) => {
    expect(() => parseReference(text)).toThrow(message);
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads the Bearer challenge of the distribution spec, and Basic', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } },
    ]);
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseChallenges('Basic realm=simple, Bearer realm="a\\"b",error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } },
    ]);
  });
});

describe('plain HTTP or HTTPS', () => {
  it('uses plain HTTP for loopback registries and --insecure-registry hosts only', () => {
    const home = '/nonexistent-glassbox-home';
    expect(clientFor('127.0.0.1:5000', { home }).base).toBe('http://127.0.0.1:5000');
    expect(clientFor('127.8.9.10', { home }).base).toBe('http://127.8.9.10');
    expect(clientFor('localhost:5000', { home }).base).toBe('http://localhost:5000');
    expect(clientFor('registry.internal:5000', { home }).base).toBe('https://registry.internal:5000');
    expect(clientFor('registry.internal:5000', { home, insecure: ['registry.internal:5000'] }).base).toBe('http://registry.internal:5000');
    expect(clientFor('128.0.0.1:5000', { home }).base).toBe('https://128.0.0.1:5000');
    expect(clientFor('docker.io', { home }).base).toBe('https://registry-1.docker.io');
  });
});
