// virtio-blk with Linux's own driver: the guest makes an ext4 filesystem on
// /dev/vda, writes a file, unmounts; the host's e2fsprogs (an independent
// reader) finds the filesystem clean and the file's bytes in it; a new
// machine on the same image mounts it and reads the same bytes back.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskError, Machine } from '../../src/api/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-blk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(m: Machine, cmd: string): Promise<string> {
  const r = await m.exec(cmd, { timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function withMachine<T>(disk: string, body: (m: Machine) => Promise<T>): Promise<T> {
  const m = await Machine.create({ disks: [{ path: disk, createBytes: 32 << 20 }] });
  m.start();
  try {
    await m.agentReady();
    return await body(m);
  } finally {
    m.stop();
  }
}

describe('virtio-blk in the guest', () => {
  it('holds an ext4 filesystem across machines, clean to the host e2fsck and readable by its debugfs', async () => {
    const disk = join(dir, 'disk.img');
    const sum = await withMachine(disk, async (m) => {
      expect(await run(m, 'cat /sys/block/vda/size /sys/block/vda/serial')).toBe(`${(32 << 20) / 512}\nglassbox-disk0`); // sysfs prints the serial without a newline
      await run(m, 'mkfs.ext4 -q /dev/vda && mkdir -p /mnt && mount /dev/vda /mnt');
      await run(m, 'dd if=/dev/urandom of=/mnt/data bs=4096 count=256 2>/dev/null && echo hello > /mnt/hello');
      const sum = (await run(m, 'md5sum /mnt/data')).split(' ')[0]!;
      await run(m, 'umount /mnt');
      return sum;
    });
    // Sparse: a 32 MiB image holds the written blocks, not 32 MiB.
    expect(statSync(disk).blocks * 512).toBeLessThan(16 << 20);
    execFileSync('e2fsck', ['-fn', disk], { stdio: 'pipe' }); // throws unless clean
    expect(execFileSync('debugfs', ['-R', 'cat /hello', disk], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toBe('hello\n');
    const hostSum = execFileSync('sh', ['-c', `debugfs -R 'cat /data' ${disk} 2>/dev/null | md5sum`])
      .toString()
      .split(' ')[0];
    expect(hostSum).toBe(sum);

    await withMachine(disk, async (m) => {
      await run(m, 'mkdir -p /mnt && mount /dev/vda /mnt');
      expect((await run(m, 'md5sum /mnt/data')).split(' ')[0]).toBe(sum);
      expect(await run(m, 'cat /mnt/hello')).toBe('hello\n');
      await run(m, 'umount /mnt');
    });
  }, 900_000);

  it('refuses a disk image that is missing or not whole sectors, naming it', async () => {
    await expect(Machine.create({ disks: [{ path: join(dir, 'none.img') }] })).rejects.toThrow(new DiskError(`disk image ${join(dir, 'none.img')}: no such file`));
    const odd = join(dir, 'odd.img');
    writeFileSync(odd, new Uint8Array(1000));
    await expect(Machine.create({ disks: [{ path: odd }] })).rejects.toThrow(`disk image ${odd}: 1000 bytes is not a disk (a positive multiple of 512 bytes)`);
    await expect(Machine.create({ disks: [{ path: dir }] })).rejects.toThrow(`disk image ${dir}: a directory, not a disk image`);
  });
});
