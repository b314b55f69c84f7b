// Port I/O with the protected-mode permission check (IOPL, then the TSS I/O
// permission bitmap).

import { OFF_EFLAGS, OFF_TR_BASE, OFF_TR_LIMIT, OFF_TR_ATTR, VM, cpl } from './state';
import { gp, faulted } from './fault';
import { readAs } from './memory';
import { protectedMode } from './segments';
import { portIn, portOut } from './host';
import { TSS32_AVAILABLE, TSS32_BUSY } from './descriptors';

/** Checks that `size` bytes at `port` may be accessed; raises #GP(0) if not. */
export function ioAllowed(port: u32, size: u32): bool {
  const flags = load<u32>(OFF_EFLAGS);
  const vm86 = (flags & VM) != 0;
  if (!vm86 && !protectedMode()) return true;
  if (!vm86 && cpl() <= ((flags >> 12) & 3)) return true;
  // Only a 32-bit TSS (type 9 or 11) has a bitmap.
  const type = load<u32>(OFF_TR_ATTR) & 0xf;
  const limit = load<u32>(OFF_TR_LIMIT);
  if ((type == TSS32_AVAILABLE || type == TSS32_BUSY) && limit >= 0x67) {
    const base = load<u32>(OFF_TR_BASE);
    const mapBase = readAs(base + 0x66, 1, false);
    if (faulted) return false;
    const at = mapBase + (port >> 3);
    if (at + 1 <= limit) {
      const bits = readAs(base + at, 1, false);
      if (faulted) return false;
      if (((bits >> (port & 7)) & ((1 << size) - 1)) == 0) return true;
    }
  }
  gp(0);
  return false;
}

/** IN of 1 << sz bytes, or 0 after a #GP. */
export function ioIn(port: u32, sz: u32): u32 {
  port &= 0xffff;
  if (!ioAllowed(port, 1 << sz)) return 0;
  return portIn(port, 1 << sz);
}

export function ioOut(port: u32, sz: u32, v: u32): void {
  port &= 0xffff;
  if (!ioAllowed(port, 1 << sz)) return;
  portOut(port, 1 << sz, v & (0xffffffff >>> (32 - (8 << sz))));
}
