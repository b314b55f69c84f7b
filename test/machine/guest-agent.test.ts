// The guest agent on COM2 of the glassbox PC: the host side of its protocol
// (guest-images/agent/PROTOCOL.md) talks to the real agent in the real guest.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentClient } from '../../guest-images/agent/protocol.ts';
import { parseBzImage } from '../../src/boot/bzimage.ts';
import { loadLinux } from '../../src/boot/load-linux.ts';
import { DEFAULT_KERNEL, DEFAULT_INITRD, DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from '../../src/boot/default-guest.ts';
import { createCore } from '../../src/core/load-node.ts';
import { PcMachine } from '../../src/machine/machine.ts';
import { SerialLink } from '../../src/machine/serial-link.ts';

const MEMORY = DEFAULT_MEMORY_MIB << 20;

function bootWithAgent() {
  let client!: AgentClient;
  const m = new PcMachine((h) => createCore(MEMORY, h), MEMORY, {
    serial: (port, byte) => {
      if (port === 1) client.feed(Uint8Array.of(byte));
    },
  });
  const link = new SerialLink(m.com[1]);
  client = new AgentClient((bytes) => link.send(bytes));
  const read = (p: string) => new Uint8Array(readFileSync(p));
  loadLinux(m.core, parseBzImage(read(DEFAULT_KERNEL)), { cmdline: DEFAULT_CMDLINE, initrd: read(DEFAULT_INITRD) });
  /** Runs the machine until `p` settles; fails if the guest has not answered within the budget. */
  const drive = async <T>(p: Promise<T>, what: string, budget = 2_000_000_000): Promise<T> => {
    let settled = false;
    p.then(() => (settled = true), () => (settled = true));
    for (let spent = 0; !settled; ) {
      if (spent > budget) throw new Error(`${what}: no answer from the guest agent in ${budget} instructions`);
      link.pump();
      const before = m.core.instructions;
      m.run(2_000_000);
      spent += Number(m.core.instructions - before) + 1;
      await new Promise((r) => setImmediate(r));
    }
    return p;
  };
  return { client, drive };
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
