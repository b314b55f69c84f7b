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

  // Skipped: since the timer fix of issue 16 merged, the idle guest here keeps a timer
  // armed and runs on in guest time instead of going idle for good (under investigation;
  // see the note on issue 16). The CLI's message for the idle case is unchanged.
  it.skip('says so when the guest command can never finish, instead of ending silently', () => {
    // cat blocks for good on a FIFO nobody opens for writing; the idle guest then
    // arms no timer, and with no timeout the host has nothing left to wait for.
    const r = glassbox(['guest', 'exec', '--timeout', '0', '--', 'mkfifo /run/never && cat /run/never']);
    expect(r.stderr).toMatch(/^glassbox: the guest is idle with no timer armed and nothing more coming from the host, so what this command waits for can never happen/);
    expect(r.status).toBe(2);
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
