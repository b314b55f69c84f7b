// The PS/2 mouse as Debian's kernel sees it: its psmouse module (from the
// same kernel package, added to the initramfs as a second cpio archive)
// probes the i8042's auxiliary port and names the mouse as it does on
// QEMU's PC ("ImExPS/2 Generic Explorer Mouse": reset, ID, the IntelliMouse
// and Explorer knocks answered). Then the host moves it with
// Machine.moveMouse while a guest program reads /dev/input/mice, Linux's
// mousedev (built in), which re-encodes what psmouse decoded: the packet it
// prints is Linux's own reading of the motion and the button.
// The boot is not what this tests: it starts from the booted snapshot the
// first run of this kernel and initramfs left in the snapshot cache
// (test/support/debian-kernel.ts).

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';
import { bootedDebian, debianModule, steppedByHand } from '../support/debian-kernel.ts';

/**
 * The default initramfs followed by a newc archive holding `files` at its
 * root (the kernel unpacks both); the same bytes every time, so that the
 * boot cache, which knows an initrd by its digest, finds its booted snapshot.
 */
function initrdWith(files: Record<string, Uint8Array>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'gb-modules-'));
  try {
    for (const [name, bytes] of Object.entries(files)) {
      writeFileSync(join(dir, name), bytes);
      chmodSync(join(dir, name), 0o644);
      utimesSync(join(dir, name), 0, 0);
    }
    // --reproducible: no inode or device numbers of this host's temporary files in the headers.
    const extra = execFileSync('cpio', ['-o', '-H', 'newc', '--quiet', '--reproducible'], { cwd: dir, input: Object.keys(files).join('\n') + '\n' });
    const base = readFileSync(DEFAULT_INITRD);
    // Archives start on 4-byte boundaries; the kernel skips the zeros between them.
    const out = new Uint8Array(((base.length + 3) & ~3) + extra.length);
    out.set(base);
    out.set(extra, (base.length + 3) & ~3);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("PS/2 mouse under Debian's kernel", () => {
  it("is found by psmouse as on QEMU, and the host's motion reaches /dev/input/mice", async () => {
    const a = steppedByHand(await bootedDebian(initrdWith({ 'psmouse.ko': debianModule('psmouse.ko') })));
    const probe = a.command('insmod /psmouse.ko; sleep 1; dmesg | grep -e "input:.*Mouse"; echo probed-$((40+2))', /probed-42/, 2_000_000_000);
    expect(probe.out).toContain('input: ImExPS/2 Generic Explorer Mouse as /devices/platform/i8042/serio1/input/input');
    // A reader waits for one packet of mousedev's PS/2 stream; the host moves the mouse right 10, up 5, left button down.
    const mark = a.output().length;
    a.m.serial.write('dd if=/dev/input/mice bs=3 count=1 2>/dev/null | od -An -tx1; echo moved-$((40+2))\n');
    a.waitFor(/dd if/, mark, 100_000_000, 1_000_000);
    a.m.step(50_000_000); // half a second of guest time: dd has opened the device and waits
    expect(a.m.moveMouse({ dx: 10, dy: 5, buttons: 1 })).toBe(true);
    const out = a.waitFor(/moved-42/, mark, 1_000_000_000, 1_000_000);
    expect(out).toMatch(/^\s*09 0a 05\s*$/m);
  }, 1_800_000);
});
