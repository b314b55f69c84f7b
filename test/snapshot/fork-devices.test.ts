// Forks of a booted guest with a disk and a network card. The disk: a fork
// reads the parent's disk as it was at the fork, and neither side (nor a
// sibling) sees the other's later writes; the parent's writes still reach
// its own backend. The network card: a fork needs a link of its own, and
// its frames go there, not to the parent's. The oracle is what each guest
// reads back with dd and what each host end of a link received.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine, MachineError } from '../../src/api/index.ts';
import type { BlockBackend } from '../../src/devices/virtio/blk.ts';
import type { NetBackend } from '../../src/devices/virtio/net.ts';

const DISK = 1 << 20;
const disk = new Uint8Array(DISK);
const backend: BlockBackend = {
  size: DISK,
  readOnly: false,
  read: (offset, into) => into.set(disk.subarray(offset, offset + into.length)),
  write: (offset, data) => disk.set(data, offset),
  flush: () => {},
};

/** The host end of a link that only counts the guest's frames. */
const counting = (): NetBackend & { frames: number } => {
  const b = { frames: 0, receive: () => void b.frames++, deliver: () => {} };
  return b;
};

let parent: Machine;
let parentLink: ReturnType<typeof counting>;
const machines: Machine[] = [];

beforeAll(async () => {
  parentLink = counting();
  parent = await Machine.create({ disks: [backend], network: { backend: parentLink } });
  machines.push(parent);
  parent.start();
  await parent.agentReady();
}, 600_000);
afterAll(() => machines.forEach((m) => m.stop()));

/** Writes `text` at sector 8 of the guest's disk, bypassing its page cache both ways. */
const put = (m: Machine, text: string) => m.exec(`printf '${text}' | dd of=/dev/vda bs=512 seek=8 conv=notrunc oflag=direct 2>/dev/null; sync`);
const get = async (m: Machine) => (await m.exec('dd if=/dev/vda bs=512 skip=8 count=1 iflag=direct 2>/dev/null | head -c 6')).stdout;

describe('forks of a guest with a disk and a network card', () => {
  it('refuses a fork without a link of its own, naming why', () => {
    parent.pause();
    expect(() => parent.fork()).toThrow(MachineError);
    expect(() => parent.fork()).toThrow(/its link \(the host end\) cannot be shared with a fork: give the fork its own/);
    parent.resume();
  }, 60_000);

  it('gives each fork the disk as it was at the fork, isolated from the parent and from siblings', async () => {
    expect((await put(parent, 'parent')).exitCode).toBe(0);
    parent.pause();
    const a = parent.fork({ network: { backend: counting() } });
    const b = parent.fork({ network: { backend: counting() } });
    machines.push(a, b);
    a.start();
    b.start();
    parent.resume();
    expect((await put(a, 'fork-a')).exitCode).toBe(0);
    expect((await put(parent, 'newer1')).exitCode).toBe(0);
    expect([await get(parent), await get(a), await get(b)]).toEqual(['newer1', 'fork-a', 'parent']);
    // The parent's writes reach its own disk; a fork's stay in the fork.
    expect(new TextDecoder().decode(disk.subarray(8 * 512, 8 * 512 + 6))).toBe('newer1');
  }, 600_000);

  it("sends a fork's frames to its own link, not the parent's", async () => {
    const link = counting();
    parent.pause();
    const f = parent.fork({ network: { backend: link } });
    machines.push(f);
    f.start();
    const before = parentLink.frames;
    await f.exec('ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; ping -c 1 -W 1 10.0.2.2');
    expect(link.frames).toBeGreaterThan(0);
    expect(parentLink.frames).toBe(before);
    parent.resume();
  }, 600_000);
});
