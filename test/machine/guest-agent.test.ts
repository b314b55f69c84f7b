// The guest agent on COM2 of the glassbox PC: the host side of its protocol
// (guest-images/agent/PROTOCOL.md) talks to the real agent in the real guest.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBzImage } from '../../src/boot/bzimage.ts';
import { DEFAULT_KERNEL, DEFAULT_INITRD, DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { GuestSession } from '../../src/machine/guest-session.ts';

function bootWithAgent() {
  const read = (p: string) => new Uint8Array(readFileSync(p));
  const session = new GuestSession({
    kernel: parseBzImage(read(DEFAULT_KERNEL)),
    initrd: read(DEFAULT_INITRD),
    cmdline: DEFAULT_CMDLINE,
    memoryMiB: DEFAULT_MEMORY_MIB,
  });
  return { client: session.agent, drive: session.drive.bind(session) };
}

describe('the guest agent on COM2', () => {
  it('says hello, runs commands and returns their exit status, stdout and stderr', async () => {
    const { client, drive } = bootWithAgent();
    const hello = await drive(client.ready(), 'hello');
    expect(hello.version).toBe(1);
    const uname = await drive(client.exec('uname -a'), 'uname');
    expect(uname.exitCode).toBe(0);
    expect(new TextDecoder().decode(uname.stdout)).toMatch(/^Linux glassbox 6\.1\.\d+ /);
    const failing = await drive(client.exec('echo oops >&2; exit 3'), 'exit 3');
    expect(failing.exitCode).toBe(3);
    expect(new TextDecoder().decode(failing.stderr)).toBe('oops\n');
    // Namespaces are real in this kernel: a new PID namespace sees itself as PID 1.
    const ns = await drive(client.exec('unshare --pid --fork --mount-proc sh -c "echo \\$\\$"'), 'unshare');
    expect(new TextDecoder().decode(ns.stdout).trim()).toBe('1');
  }, 600_000);
});
