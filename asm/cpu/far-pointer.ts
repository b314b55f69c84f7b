// The far-pointer loads LES, LDS, LSS, LFS and LGS (one-byte C4/C5, 0F B2/B4/B5):
// offset then selector from memory; the segment load comes first, so a
// faulting selector leaves the general register alone.

import { faulted } from './fault';
import { decodeMemoryModrm, vSize, readMem, writeG, eaSeg, eaOff } from './decode';
import { loadDataSegment } from './segments';

/** LES, LDS, LSS, LFS, LGS: a far pointer from memory into seg:reg. */
export function loadFarPointer(s: i32): void {
  if (!decodeMemoryModrm()) return;
  const sz = vSize();
  const off = readMem(eaSeg, eaOff, sz);
  if (faulted) return;
  const sel = readMem(eaSeg, eaOff + (1 << sz), 1);
  if (faulted) return;
  loadDataSegment(s, sel);
  if (faulted) return;
  writeG(sz, off);
}
