// The glassbox command as a user runs it: the bundled CLI in a child
// process, the default guest, commands piped on stdin.

import { describe, expect, it } from 'vitest';
import { GLASSBOX_BIN as BIN, glassboxSync } from '../support/glassbox-cli.ts';

const glassbox = (args: string[], input = '') => glassboxSync(args, { input, timeoutMs: 600_000 });

describe('glassbox boot', () => {
  it('types piped stdin into the guest console and exits 0 when the guest powers off', () => {
    const r = glassbox(['boot', '--clock', 'virtual'], 'echo "glass$((6*7))box"\npoweroff -f\n');
    expect(r.stdout).toContain('glass42box'); // computed by the guest's shell, not echoed input
    expect(r.stdout).toContain('reboot: System halted');
    expect(r.status).toBe(0);
  }, 600_000);

  it('guest exec runs one command through the guest agent of a fresh guest and exits with its status', () => {
    const r = glassbox(['guest', 'exec', '--', 'echo from-$(uname -n); echo to-stderr >&2; exit 7']);
    expect(r.stdout).toBe('from-glassbox\n');
    expect(r.stderr).toBe('to-stderr\n');
    expect(r.status).toBe(7);
  }, 600_000);

  it('says so when the guest command can never finish, instead of spinning on its timer for good', () => {
    // cat blocks for good on a FIFO nobody opens for writing; the idle guest then only keeps
    // time (its timer ticking), and with no timeout the host has nothing left to wait for.
    const r = glassbox(['guest', 'exec', '--timeout', '0', '--', 'mkfifo /run/never && cat /run/never']);
    expect(r.stderr).toMatch(
      /^glassbox: the guest went idle \(for 10 minutes of guest time it did nothing but keep time: no I\/O, nothing from the command\) and nothing more is coming from the host, so the command can never finish .*\n$/,
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.status).toBe(2);
  }, 600_000);

  it('lets a guest that sleeps between bursts of work run past the idle limit with --timeout 0', () => {
    // Eleven sleeps of 60 s: 11 minutes of guest time, over the 10 the idle check allows a guest
    // that only keeps time, but every wake-up starts a process, which is more than keeping time.
    const r = glassbox(['guest', 'exec', '--timeout', '0', '--', 'for i in 1 2 3 4 5 6 7 8 9 10 11; do sleep 60; done; echo slept']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('slept\n');
    expect(r.status).toBe(0);
  }, 600_000);

  it('refuses a file that is not a kernel, naming it', () => {
    const r = glassbox(['boot', '--kernel', BIN]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/glassbox: .*glassbox\.mjs: .*(too small|not a Linux bzImage)/);
  });

  it('refuses a wrong option value with the reason', () => {
    const r = glassbox(['boot', '--clock', 'sometimes']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('use "virtual" or "realtime"');
  });
});
