// The testing library as a test runner uses it: boot the kernel once, then
// each test on a fresh fork of it, with its own deadline.

import { beforeAll, describe, expect, it } from 'vitest';
import { bootKernel, type KernelSession } from '../../src/testing/index.ts';

describe('bootKernel: one boot, a fresh fork per test', () => {
  let session: KernelSession;
  beforeAll(async () => {
    session = await bootKernel({ timeoutMs: 120_000 });
  }, 180_000);

  it('runs a command on a fork of the booted kernel, with its output and status', async () => {
    const r = await session.run('uname -r; touch /tmp/left-behind; exit 3', { timeoutMs: 30_000 });
    expect(r.outcome).toMatchObject({ how: 'exited', exitCode: 3 });
    if (r.outcome.how === 'exited') expect(r.outcome.stdout).toMatch(/^6\.1\.\d+\n$/);
  }, 120_000);

  it('gives every test the booted state, not what an earlier test left', async () => {
    const r = await session.run('test ! -e /tmp/left-behind && echo clean', { timeoutMs: 30_000 });
    expect(r.outcome).toMatchObject({ how: 'exited', exitCode: 0, stdout: 'clean\n' });
  }, 120_000);

  it('ends a test at its own deadline, and the next test is unaffected', async () => {
    const hung = await session.run('sleep 1000', { timeoutMs: 5_000 });
    expect(hung.outcome).toEqual({ how: 'timeout', during: 'command' });
    expect(hung.guestMs).toBeGreaterThanOrEqual(5_000);
    const next = await session.run('echo fine', { timeoutMs: 30_000 });
    expect(next.outcome).toMatchObject({ how: 'exited', exitCode: 0, stdout: 'fine\n' });
  }, 120_000);

  it('costs a fraction of a boot per test in guest time', async () => {
    const r = await session.run('true', { timeoutMs: 30_000 });
    expect(r.guestMs).toBeLessThan(session.bootMs / 2);
  }, 120_000);
});
