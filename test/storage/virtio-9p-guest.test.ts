// virtio-9p with Linux's own v9fs client (trans=virtio, version=9p2000.L):
// host directories shared with the default guest under the virtual clock.
// The host's file system is the oracle: what the guest writes, makes,
// renames, links and removes is read back with node:fs, and what the host
// changes is read in the guest. A read-only share refuses writes on the
// host side (the guest mounts it read-write, so EROFS can only come from
// the server), and a symlink the host made to a path outside the share is
// never followed on the host.

import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine, ShareError } from '../../src/api/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-9p-'));
const rw = join(dir, 'rw');
const ro = join(dir, 'ro');
const outside = join(dir, 'outside');
let m: Machine;

async function run(cmd: string): Promise<string> {
  const r = await m.exec(cmd, { timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`${cmd}: exit ${r.exitCode}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A command that must fail; its stderr. */
async function refused(cmd: string): Promise<string> {
  const r = await m.exec(cmd, { timeoutMs: 300_000 });
  if (r.exitCode === 0) throw new Error(`${cmd}: succeeded, and should have failed`);
  return r.stderr;
}

beforeAll(async () => {
  for (const d of [rw, ro, outside]) mkdirSync(d);
  writeFileSync(join(rw, 'from-host'), 'hello from the host\n');
  writeFileSync(join(ro, 'kept'), 'read-only bytes\n');
  writeFileSync(join(outside, 'secret'), 'outside the share\n');
  symlinkSync(join(outside, 'secret'), join(rw, 'escape'));
  m = await Machine.create({
    shares: [
      { tag: 'rw', path: rw },
      { tag: 'ro', path: ro, readOnly: true },
    ],
  });
  m.start();
  await m.agentReady();
  await run('mkdir -p /mnt/rw /mnt/ro && mount -t 9p -o trans=virtio,version=9p2000.L rw /mnt/rw && mount -t 9p -o trans=virtio,version=9p2000.L ro /mnt/ro');
}, 900_000);

afterAll(() => {
  m?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('virtio-9p in the guest', () => {
  it('reads the host file, and the host reads what the guest writes (a large file byte for byte)', async () => {
    expect(await run('cat /mnt/rw/from-host')).toBe('hello from the host\n');
    await run('echo written by the guest > /mnt/rw/from-guest');
    expect(readFileSync(join(rw, 'from-guest'), 'utf8')).toBe('written by the guest\n');
    // 300 KiB: more than one message (msize) each way, through Linux's zero-copy path.
    await run('dd if=/dev/urandom of=/mnt/rw/big bs=1024 count=300 2>/dev/null');
    const guestSum = (await run('md5sum /mnt/rw/big')).split(' ')[0];
    const { createHash } = await import('node:crypto');
    expect(
      createHash('md5')
        .update(readFileSync(join(rw, 'big')))
        .digest('hex'),
    ).toBe(guestSum);
    expect(statSync(join(rw, 'big')).size).toBe(300 * 1024);
  }, 600_000);

  it('makes directories, renames, links and removes on the host', async () => {
    await run('mkdir -p /mnt/rw/a/b && echo x > /mnt/rw/a/b/f && mv /mnt/rw/a/b/f /mnt/rw/a/g && mv /mnt/rw/a/b /mnt/rw/c');
    expect(statSync(join(rw, 'c')).isDirectory()).toBe(true);
    expect(readFileSync(join(rw, 'a', 'g'), 'utf8')).toBe('x\n');
    expect(existsSync(join(rw, 'a', 'b'))).toBe(false);
    await run('ln -s ../from-host /mnt/rw/a/lnk && ln /mnt/rw/a/g /mnt/rw/a/hard');
    expect(readlinkSync(join(rw, 'a', 'lnk'))).toBe('../from-host');
    expect(await run('readlink /mnt/rw/a/lnk && cat /mnt/rw/a/lnk')).toBe('../from-host\nhello from the host\n');
    expect(statSync(join(rw, 'a', 'hard')).ino).toBe(statSync(join(rw, 'a', 'g')).ino);
    await run('rm /mnt/rw/a/g /mnt/rw/a/hard /mnt/rw/a/lnk && rmdir /mnt/rw/c');
    expect(readdirSync(join(rw, 'a'))).toEqual([]);
    expect(existsSync(join(rw, 'c'))).toBe(false);
    // What ls shows is what the host has.
    expect((await run('ls -a /mnt/rw | sort')).trim().split('\n')).toEqual(['.', '..', ...readdirSync(rw)].sort());
    await run('chmod 640 /mnt/rw/from-guest && truncate -s 3 /mnt/rw/from-guest');
    expect(statSync(join(rw, 'from-guest')).mode & 0o777).toBe(0o640);
    expect(readFileSync(join(rw, 'from-guest'), 'utf8')).toBe('wri');
  }, 600_000);

  it('shows a change made on the host', async () => {
    writeFileSync(join(rw, 'from-host'), 'changed on the host\n');
    mkdirSync(join(rw, 'host-dir'));
    expect(await run('cat /mnt/rw/from-host && ls /mnt/rw/host-dir && echo listed')).toBe('changed on the host\nlisted\n');
  }, 600_000);

  it('refuses writes to a read-only share with EROFS from the host side', async () => {
    expect(await run('grep " /mnt/ro " /proc/mounts')).toMatch(/ rw[ ,]/); // the guest's mount allows writes: the refusal is the host's
    expect(await run('cat /mnt/ro/kept')).toBe('read-only bytes\n');
    for (const cmd of ['echo x > /mnt/ro/new', 'echo x >> /mnt/ro/kept', 'mkdir /mnt/ro/d', 'rm /mnt/ro/kept', 'mv /mnt/ro/kept /mnt/ro/moved', 'ln -s x /mnt/ro/l']) {
      expect(await refused(cmd), cmd).toMatch(/Read-only file system/);
    }
    expect(readdirSync(ro)).toEqual(['kept']);
    expect(readFileSync(join(ro, 'kept'), 'utf8')).toBe('read-only bytes\n');
  }, 600_000);

  it('never follows a host symlink out of the share, and .. stays in the guest', async () => {
    // The link is read as a link; the guest resolves its target in its own tree, where there is no such file.
    expect(await run('readlink /mnt/rw/escape')).toBe(`${join(outside, 'secret')}\n`);
    expect(await refused('cat /mnt/rw/escape')).toMatch(/No such file/);
    expect(await run('ls /mnt/rw/.. | sort')).toBe('ro\nrw\n');
  }, 600_000);

  it('refuses a host path that is not a directory, naming it', async () => {
    await expect(Machine.create({ shares: [{ tag: 'x', path: join(dir, 'none') }] })).rejects.toThrow(new ShareError(`host directory ${join(dir, 'none')} does not exist`));
    await expect(Machine.create({ shares: [{ tag: 'x', path: join(rw, 'from-host') }] })).rejects.toThrow(
      new ShareError(`${join(rw, 'from-host')} is not a directory (a bind mount shares a host directory)`),
    );
  });
});
