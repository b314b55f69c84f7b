// A host that cannot take more bytes, without a full file system of its own:
// the machine runs in a child process whose files may not grow past a few
// MiB (RLIMIT_FSIZE, `ulimit -f`; Node ignores SIGXFSZ, so a write past it
// fails with EFBIG as one on a full disk fails with ENOSPC). The guest
// writes past that point on its disk and in a shared directory: it gets an
// I/O error on the disk and "File too large" on the share, the host hears
// which file and why, and the machine runs on.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `ulimit -f` blocks: 512 bytes in POSIX and dash, 1024 in bash; the host's own write under it tells the size (below). */
const LIMIT_BLOCKS = 8192;

describe('a host disk that takes no more', () => {
  it('is an I/O error in the guest and a message naming the file on the host, never a crash', () => {
    const disk = join(dir, 'disk.img');
    const share = join(dir, 'share');
    mkdirSync(share);
    // Made here, where files may be large: the child may not even make it.
    writeFileSync(disk, '');
    spawnSync('truncate', ['-s', '64M', disk]);
    const child = `
      import { Machine } from ${JSON.stringify(join(process.cwd(), 'src/api/index.ts'))};
      const m = await Machine.create({ disks: [{ path: ${JSON.stringify(disk)} }], shares: [{ tag: 'share', path: ${JSON.stringify(share)} }] });
      const errors = [];
      m.on('diskError', (why) => errors.push(why));
      m.start();
      await m.agentReady();
      const run = (cmd) => m.exec(cmd, { timeoutMs: 300000 });
      const low = await run('dd if=/dev/urandom of=/dev/vda bs=64k count=16 oflag=direct 2>&1');
      const high = await run('dd if=/dev/zero of=/dev/vda bs=64k seek=512 count=16 oflag=direct 2>&1');
      const share = await run('mkdir -p /mnt/s && mount -t 9p -o trans=virtio,version=9p2000.L share /mnt/s && dd if=/dev/zero of=/mnt/s/big bs=64k count=256 2>&1');
      const after = await run('echo still running');
      console.log(JSON.stringify({ low, high, share, after, errors }));
      m.stop();
    `;
    const r = spawnSync('sh', ['-c', `ulimit -f ${LIMIT_BLOCKS} && exec "$0" --import tsx --input-type=module -e "$1"`, process.execPath, child], {
      encoding: 'utf8',
      timeout: 900_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // Below the limit, the disk takes the writes; above it, the guest gets EIO from the block layer.
    expect(out.low.exitCode).toBe(0);
    expect(out.high.exitCode).not.toBe(0);
    expect(out.high.stdout).toMatch(/Input\/output error/);
    expect(out.errors.length).toBeGreaterThan(0);
    expect(out.errors[0]).toBe(`disk image ${disk}: writing: the file is at the largest size this process may write (ulimit -f)`);
    // On the share, the server's write fails as the host's did: EFBIG, which the guest names.
    expect(out.share.exitCode).not.toBe(0);
    expect(out.share.stdout).toMatch(/File too large/);
    // As far as a host program under the same limit gets.
    spawnSync('sh', ['-c', `ulimit -f ${LIMIT_BLOCKS}; head -c 64000000 /dev/zero > ${join(dir, 'probe')}`]);
    expect(statSync(join(share, 'big')).size).toBe(statSync(join(dir, 'probe')).size);
    expect(out.after.stdout).toBe('still running\n');
  }, 900_000);
});
