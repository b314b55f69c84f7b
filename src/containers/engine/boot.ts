// The default guest booted and its agent ready: the machine the container engine runs in.

import { readFileSync } from 'node:fs';
import { parseBzImage } from '../../boot/bzimage.ts';
import { DEFAULT_CMDLINE, DEFAULT_INITRD, DEFAULT_KERNEL, DEFAULT_MEMORY_MIB } from '../../boot/default-guest.ts';
import { GuestSession } from '../../machine/guest-session.ts';

export async function bootDefaultGuest(memoryMiB = DEFAULT_MEMORY_MIB): Promise<GuestSession> {
  const session = new GuestSession({
    kernel: parseBzImage(new Uint8Array(readFileSync(DEFAULT_KERNEL)), DEFAULT_KERNEL),
    initrd: new Uint8Array(readFileSync(DEFAULT_INITRD)),
    cmdline: DEFAULT_CMDLINE,
    memoryMiB,
  });
  await session.drive(session.agent.ready(), 'waiting for the guest agent');
  return session;
}
