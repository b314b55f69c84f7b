// The Linux boot protocol loader: what it accepts, what it refuses (with a
// message naming the problem), and the machine state it hands the kernel,
// per Documentation/arch/x86/boot.rst.

import { describe, expect, it } from 'vitest';
import { parseBzImage, KernelImageError } from '../../src/boot/bzimage.ts';
import { loadLinux, E820_RAM } from '../../src/boot/load-linux.ts';
import { createCore } from '../../src/core/load-node.ts';

const MiB = 1 << 20;

/** A minimal bzImage: one setup sector after the boot sector, then `payload`. */
function image(opts: { version?: number; loadflags?: number; payload?: number; initSize?: number; magic?: boolean } = {}): Uint8Array {
  const payload = opts.payload ?? 4096;
  const img = new Uint8Array(1024 + payload);
  const v = new DataView(img.buffer);
  v.setUint8(0x1f1, 1); // setup_sects
  v.setUint32(0x1f4, payload / 16, true); // syssize
  v.setUint16(0x1fe, 0xaa55, true);
  v.setUint8(0x201, 0x6a); // header runs to 0x26c
  if (opts.magic !== false) v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, opts.version ?? 0x020f, true);
  v.setUint8(0x211, opts.loadflags ?? 0x01);
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, 0x37ffffff, true);
  v.setUint32(0x238, 2047, true);
  v.setUint32(0x260, opts.initSize ?? 0x10000, true);
  for (let i = 0; i < payload; i++) img[1024 + i] = i & 0xff;
  return img;
}

describe('bzImage header', () => {
  it('reads the boot protocol fields', () => {
    const k = parseBzImage(image());
    expect(k.version).toBe(0x020f);
    expect(k.code32Start).toBe(0x100000);
    expect(k.protectedMode.length).toBe(4096);
    expect(k.cmdlineSize).toBe(2047);
  });

  it('refuses a file that is not a bzImage', () => {
    expect(() => parseBzImage(new Uint8Array(8192), 'rootfs.img')).toThrow(/rootfs.img: not a Linux bzImage \(no "HdrS"/);
    expect(() => parseBzImage(image({ magic: false }))).toThrow(KernelImageError);
    expect(() => parseBzImage(new Uint8Array(100))).toThrow(/100 bytes is too small/);
  });

  it('refuses boot protocols older than 2.06, naming the version', () => {
    expect(() => parseBzImage(image({ version: 0x0205 }))).toThrow(/boot protocol 2\.05 is too old/);
  });

  it('refuses a zImage', () => {
    expect(() => parseBzImage(image({ loadflags: 0 }))).toThrow(/zImage/);
  });

  it('refuses a truncated image, saying how much is missing', () => {
    const full = image();
    expect(() => parseBzImage(full.subarray(0, full.length - 100))).toThrow(new RegExp(`truncated: the header promises ${full.length} bytes, the file has ${full.length - 100}`));
  });
});

describe('loading Linux', () => {
  it('places the kernel at 1 MiB and enters code32_start in flat protected mode with ESI at boot_params', () => {
    const core = createCore(64 * MiB);
    const initrd = new Uint8Array(3 * MiB + 5).fill(7);
    const layout = loadLinux(core, parseBzImage(image()), { cmdline: 'console=ttyS0 quiet', initrd });
    expect(core.ram[0x100000 + 5]).toBe(5);
    expect(core.eip).toBe(0x100000);
    expect(core.segment(1)).toMatchObject({ selector: 0x10, base: 0, limit: 0xffffffff });
    expect(core.segment(3)).toMatchObject({ selector: 0x18, base: 0, limit: 0xffffffff });
    expect(core.cr(0) & 1).toBe(1);
    expect(core.eflags & 0x200).toBe(0); // interrupts off
    const bp = new DataView(core.ram.buffer, core.ram.byteOffset + core.reg(6), 4096);
    expect(bp.getUint32(0x202, true)).toBe(0x53726448); // the setup header was copied
    expect(bp.getUint8(0x210)).toBe(0xff); // type_of_loader
    const cmdAt = bp.getUint32(0x228, true);
    expect(new TextDecoder().decode(core.ram.subarray(cmdAt, cmdAt + 19))).toBe('console=ttyS0 quiet');
    expect(core.ram[cmdAt + 19]).toBe(0);
    // The initrd sits page-aligned at the top of RAM.
    expect(bp.getUint32(0x218, true)).toBe(layout.initrdAt);
    expect(bp.getUint32(0x21c, true)).toBe(initrd.length);
    expect(layout.initrdAt! % 4096).toBe(0);
    expect(layout.initrdAt! + initrd.length).toBeLessThanOrEqual(64 * MiB);
    // e820: RAM below 640 KiB and from 1 MiB to the end, the hole reserved.
    const n = bp.getUint8(0x1e8);
    const entries = Array.from({ length: n }, (_, i) => ({
      addr: Number(bp.getBigUint64(0x2d0 + i * 20, true)),
      size: Number(bp.getBigUint64(0x2d8 + i * 20, true)),
      type: bp.getUint32(0x2e0 + i * 20, true),
    }));
    const ram = entries.filter((e) => e.type === E820_RAM);
    expect(ram).toEqual([
      { addr: 0, size: 0x9fc00, type: 1 },
      { addr: MiB, size: 63 * MiB, type: 1 },
    ]);
  });

  it('refuses a machine with too little memory for the kernel to unpack', () => {
    const core = createCore(16 * MiB);
    expect(() => loadLinux(core, parseBzImage(image({ initSize: 20 * MiB })), { cmdline: '' })).toThrow(/needs 21 MiB of RAM to unpack itself .* the machine has 16 MiB/);
  });

  it('refuses an initrd larger than the RAM above the kernel', () => {
    const core = createCore(16 * MiB);
    expect(() => loadLinux(core, parseBzImage(image()), { cmdline: '', initrd: new Uint8Array(15 * MiB) })).toThrow(/the initrd \(15 MiB\) does not fit in RAM above the kernel/);
  });

  it('refuses a command line longer than the kernel accepts', () => {
    const core = createCore(16 * MiB);
    expect(() => loadLinux(core, parseBzImage(image()), { cmdline: 'x'.repeat(3000) })).toThrow(/at most 2047/);
  });
});
