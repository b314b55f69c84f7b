// A bootable BIOS disk image made from Debian packages without mounting
// anything: a FAT file system over the whole image (mkfs.fat), syslinux in
// its boot sector and ldlinux.sys in it (syslinux --install, the mtools
// build), and a kernel, an initramfs and syslinux.cfg copied in (mcopy).
// syslinux talks on COM1 (SERIAL 0) and boots straight into the kernel.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SEABIOS = '/usr/share/seabios/bios.bin';

/** What the host lacks to make the image and boot it with SeaBIOS, as package names (empty: nothing). */
export function syslinuxDiskMissing(): string[] {
  const runs = (cmd: string, args: string[]) => spawnSync(cmd, args).error === undefined;
  return [
    !existsSync(SEABIOS) && `${SEABIOS} (Debian package seabios)`,
    !runs('mkfs.fat', ['--help']) && 'mkfs.fat (dosfstools)',
    !runs('mcopy', ['--version']) && 'mcopy (mtools)',
    !runs('syslinux', ['--version']) && 'syslinux (syslinux)',
  ].filter((m): m is string => typeof m === 'string');
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Makes `image` (sizeMiB MiB) in `dir` booting `kernel` with `initrd` and the command line `append`. */
export function makeSyslinuxDisk(dir: string, image: string, files: { kernel: string; initrd: string; append: string; sizeMiB?: number }): void {
  const cfg = ['SERIAL 0 115200', 'DEFAULT linux', 'PROMPT 0', 'TIMEOUT 0', 'LABEL linux', '  KERNEL bzImage', '  INITRD initrd.gz', `  APPEND ${files.append}`, ''].join('\n');
  run('mkfs.fat', ['-C', image, String((files.sizeMiB ?? 32) * 1024)]); // the size in KiB
  run('syslinux', ['--install', image]);
  writeFileSync(join(dir, 'syslinux.cfg'), cfg);
  run('mcopy', ['-i', image, join(dir, 'syslinux.cfg'), '::syslinux.cfg']);
  run('mcopy', ['-i', image, files.kernel, '::bzImage']);
  run('mcopy', ['-i', image, files.initrd, '::initrd.gz']);
}
