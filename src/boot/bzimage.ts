// Reading and validating a Linux bzImage: the real-mode setup header of the
// x86 boot protocol (Documentation/arch/x86/boot.rst). Anything glassbox
// cannot boot is refused here with a message that says what is wrong.

export class KernelImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelImageError';
  }
}

export const LOADED_HIGH = 0x01;
export const CAN_USE_HEAP = 0x80;

export interface BzImage {
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  version: number;
  setupSects: number;
  loadflags: number;
  /** The 32-bit entry point's default address. */
  code32Start: number;
  /** Highest address the initrd may end at (inclusive). */
  initrdAddrMax: number;
  /** Bytes the kernel needs from its load address to decompress and start. */
  initSize: number;
  kernelAlignment: number;
  cmdlineSize: number;
  /** The setup header bytes (from offset 0x1F1), to copy into boot_params. */
  setupHeader: Uint8Array;
  /** The protected-mode kernel, to load at 1 MiB. */
  protectedMode: Uint8Array;
  /** The kernel's version string, when the header points at one. */
  kernelVersion?: string;
}

const MIN_VERSION = 0x0206; // cmdline_size and a 32-bit entry we can rely on

export function parseBzImage(image: Uint8Array, name = 'kernel image'): BzImage {
  const fail = (what: string): never => {
    throw new KernelImageError(`${name}: ${what}`);
  };
  if (image.length < 0x400) fail(`${image.length} bytes is too small to be a bzImage`);
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (v.getUint32(0x202, true) !== 0x53726448) fail('not a Linux bzImage (no "HdrS" boot protocol header at offset 0x202)');
  if (v.getUint16(0x1fe, true) !== 0xaa55) fail('boot sector signature 0xAA55 missing at offset 0x1FE');
  const version = v.getUint16(0x206, true);
  const ver = `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
  if (version < MIN_VERSION) fail(`boot protocol ${ver} is too old; glassbox needs 2.06 or newer`);
  const loadflags = v.getUint8(0x211);
  if (!(loadflags & LOADED_HIGH)) fail('a zImage (loaded below 1 MiB) is not supported; build a bzImage');
  let setupSects = v.getUint8(0x1f1);
  if (setupSects === 0) setupSects = 4;
  const headerEnd = 0x202 + v.getUint8(0x201);
  const pmOffset = (setupSects + 1) * 512;
  const syssize = v.getUint32(0x1f4, true) * 16;
  if (image.length < pmOffset + syssize) {
    fail(`truncated: the header promises ${pmOffset + syssize} bytes, the file has ${image.length}`);
  }
  const initSize = version >= 0x020a ? v.getUint32(0x260, true) : syssize * 4;
  let kernelVersion: string | undefined;
  const kvOff = v.getUint16(0x20e, true);
  if (kvOff && kvOff + 0x200 < pmOffset) {
    const start = kvOff + 0x200;
    let end = start;
    while (end < pmOffset && image[end] !== 0) end++;
    kernelVersion = new TextDecoder('latin1').decode(image.subarray(start, end));
  }
  return {
    version,
    setupSects,
    loadflags,
    code32Start: v.getUint32(0x214, true),
    initrdAddrMax: v.getUint32(0x22c, true),
    initSize,
    kernelAlignment: v.getUint32(0x230, true),
    cmdlineSize: v.getUint32(0x238, true),
    setupHeader: image.slice(0x1f1, headerEnd),
    protectedMode: image.subarray(pmOffset),
    kernelVersion,
  };
}
