// SeaBIOS (Debian's bios.bin) from the reset vector, booting a disk made
// here from Debian packages without mounting anything: a FAT file system
// (mkfs.fat) with syslinux installed in its boot sector (syslinux --install,
// the mtools build) and the project's kernel and initramfs copied in by
// mcopy, SERIAL 0 in syslinux.cfg and console=ttyS0 for the kernel. The
// same image boots in qemu-system-i386 with the same bios.bin as the
// reference; glassbox must reach the same shell, with the BIOS's log on
// stderr naming the IDE disk it booted from. Both boot times are printed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLASSBOX_BIN } from '../support/glassbox-cli.ts';
import { makeSyslinuxDisk, SEABIOS as BIOS, syslinuxDiskMissing } from '../support/syslinux-disk.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DIST = join(ROOT, 'guest-images/dist');
const QEMU = 'qemu-system-i386';
/** Guest time and wall time a boot gets to reach the shell (a loaded 2-core host takes ~60 s of wall). */
const BOOT_DEADLINE_MS = 300_000;

const missing = syslinuxDiskMissing();
if (missing.length) console.warn(`BIOS boot test skipped: missing ${missing.join(', ')}`);
const haveQemu = spawnSync(QEMU, ['--version']).error === undefined;

/** A process whose output is collected, with a deadline on each wait naming what did not come. */
class Console {
  out = '';
  err = '';
  exit?: number | null;
  private waiters: (() => void)[] = [];

  constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => this.add(() => (this.out += d.toString('latin1'))));
    proc.stderr!.on('data', (d: Buffer) => this.add(() => (this.err += d.toString('latin1'))));
    proc.on('exit', (code) => this.add(() => (this.exit = code)));
  }

  private add(f: () => void): void {
    f();
    for (const w of this.waiters.splice(0)) w();
  }

  async wait(what: string, check: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (this.exit !== undefined)
        throw new Error(`${what}: the process exited (${this.exit}) first; stdout ends ${JSON.stringify(this.out.slice(-600))}, stderr ${JSON.stringify(this.err.slice(-600))}`);
      if (Date.now() > end) throw new Error(`${what} did not arrive within ${ms / 1000} s; stdout ends ${JSON.stringify(this.out.slice(-600))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }
}

describe.skipIf(missing.length > 0)('SeaBIOS boots a syslinux disk into the project kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-bios-'));
  const image = join(dir, 'disk.img');
  const procs: ChildProcess[] = [];

  beforeAll(() => makeSyslinuxDisk(dir, image, { kernel: join(DIST, 'bzImage'), initrd: join(DIST, 'initramfs.cpio.gz'), append: 'console=ttyS0 tsc=reliable' }));

  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'glassbox: reset vector, SeaBIOS, the IDE disk, syslinux, Linux, the shell',
    async () => {
      const t0 = Date.now();
      const proc = spawn(process.execPath, [GLASSBOX_BIN, 'boot', '--bios', BIOS, '--disk', image, '--clock', 'virtual', '--memory', '128'], { stdio: ['pipe', 'pipe', 'pipe'] });
      procs.push(proc);
      const c = new Console(proc);
      await c.wait('the shell prompt on COM1', () => /\n\/ # /.test(c.out), BOOT_DEADLINE_MS);
      const ms = Date.now() - t0;
      // The BIOS's own log (port 0x402): it recognised QEMU's chipset, found the disk on the primary channel and booted it.
      expect(c.err).toMatch(/bios: Running on QEMU \(i440fx\)/);
      expect(c.err).toMatch(/bios: ata0-0: glassbox ATA disk ATA-6 Hard-Disk \(32 MiBytes\)/);
      expect(c.err).toMatch(/bios: Booting from Hard Disk\.\.\./);
      // syslinux printed its banner on COM1 and loaded both files from the FAT through the BIOS's INT 13h.
      expect(c.out).toMatch(/SYSLINUX 6\.\d+/);
      expect(c.out).toMatch(/Linux version/);
      proc.stdin!.write('echo sum=$((40+2)); poweroff -f\n');
      await c.wait('sum=42 from the shell', () => c.out.includes('sum=42'), 120_000);
      await c.wait('glassbox exiting after the guest powered off', () => c.exit !== undefined, 120_000);
      expect(c.exit).toBe(0);
      console.log(`glassbox: SeaBIOS to the shell prompt in ${(ms / 1000).toFixed(1)} s of wall time`);
    },
    BOOT_DEADLINE_MS + 300_000,
  );

  it.skipIf(!haveQemu)(
    'QEMU with the same bios.bin and image reaches the same shell (the reference)',
    async () => {
      const t0 = Date.now();
      const proc = spawn(
        QEMU,
        ['-accel', 'tcg', '-bios', BIOS, '-m', '128', '-nodefaults', '-display', 'none', '-no-reboot', '-drive', `file=${image},format=raw,if=ide,snapshot=on`, '-serial', 'stdio'],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      procs.push(proc);
      const c = new Console(proc);
      await c.wait("the shell prompt on QEMU's ttyS0", () => /\n\/ # /.test(c.out), BOOT_DEADLINE_MS);
      const ms = Date.now() - t0;
      expect(c.out).toMatch(/SYSLINUX 6\.\d+/);
      proc.stdin!.write('echo sum=$((40+2)); poweroff -f\n');
      await c.wait("sum=42 from QEMU's shell", () => c.out.includes('sum=42'), 60_000);
      console.log(`qemu-system-i386 (TCG): SeaBIOS to the shell prompt in ${(ms / 1000).toFixed(1)} s of wall time`);
    },
    BOOT_DEADLINE_MS + 120_000,
  );
});
