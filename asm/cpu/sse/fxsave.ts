// FXSAVE and FXRSTOR: the 512-byte image of the x87, MXCSR and XMM state
// in its 32-bit layout (SDM vol. 1, table 10-2):
//   0 FCW  2 FSW  4 abridged FTW (bit n: physical register n in use)  6 FOP
//   8 FIP  12 FCS  16 FDP  20 FDS  24 MXCSR  28 MXCSR_MASK
//   32 + 16i ST(i) as 80 bits  160 + 16i XMMi  288-511 not written.
// The memory operand must be 16-byte aligned (#GP(0) otherwise). FXSAVE,
// unlike FNSAVE, leaves the FPU as it is.

import {
  OFF_FPU_EMPTY, OFF_FPU_FIP, OFF_FPU_FCS, OFF_FPU_FOP, OFF_FPU_FDP, OFF_FPU_FDS, OFF_FPU_CW, OFF_XMM,
  segBase,
} from '../state';
import { readMem, writeMem } from '../decode';
import { faulted, gp } from '../fault';
import { linRead } from '../segments';
import { lookup, userMode } from '../memory';
import { cw, sw, setSw, phys } from '../fpu/stack';
import { physBits, setPhysBits, exactMant, exactSe } from '../fpu/exact';
import { recomputeSummary } from '../fpu/environment';
import { probeWrite, read64, secondPage } from '../fpu/memory';
import { mxcsr, setMxcsr, MXCSR_MASK } from './mxcsr';

const IMAGE_BYTES: u32 = 512;

function aligned(seg: i32, off: u32): bool {
  if (((segBase(seg) + off) & 15) != 0) {
    gp(0);
    return false;
  }
  return true;
}

export function fxsave(seg: i32, off: u32): void {
  if (!aligned(seg, off)) return;
  if (!probeWrite(seg, off, IMAGE_BYTES)) return;
  const empty = load<u32>(OFF_FPU_EMPTY);
  writeMem(seg, off, 2, cw() | (sw() << 16));
  writeMem(seg, off + 4, 2, (~empty & 0xff) | ((load<u32>(OFF_FPU_FOP) & 0x7ff) << 16));
  writeMem(seg, off + 8, 2, load<u32>(OFF_FPU_FIP));
  writeMem(seg, off + 12, 2, load<u32>(OFF_FPU_FCS) & 0xffff);
  writeMem(seg, off + 16, 2, load<u32>(OFF_FPU_FDP));
  writeMem(seg, off + 20, 2, load<u32>(OFF_FPU_FDS) & 0xffff);
  writeMem(seg, off + 24, 2, mxcsr());
  writeMem(seg, off + 28, 2, MXCSR_MASK);
  for (let i: u32 = 0; i < 8; i++) {
    physBits(phys(i));
    const o = off + 32 + (i << 4);
    writeMem(seg, o, 2, <u32>exactMant);
    writeMem(seg, o + 4, 2, <u32>(exactMant >> 32));
    writeMem(seg, o + 8, 2, exactSe);
    writeMem(seg, o + 12, 2, 0);
  }
  for (let w: u32 = 0; w < 32; w++) writeMem(seg, off + 160 + (w << 2), 2, load<u32>(OFF_XMM + (w << 2)));
}

/** Faults unless all `len` bytes at seg:off can be read, so a restore changes nothing or everything. */
function probeRead(seg: i32, off: u32, len: u32): bool {
  const lin = linRead(seg, off, len);
  if (faulted) return false;
  lookup(lin, false, userMode);
  if (!faulted) lookup(secondPage(lin, len), false, userMode);
  return !faulted;
}

export function fxrstor(seg: i32, off: u32): void {
  if (!aligned(seg, off)) return;
  if (!probeRead(seg, off, IMAGE_BYTES)) return;
  const csr = readMem(seg, off + 24, 2);
  if ((csr & ~MXCSR_MASK) != 0) {
    gp(0);
    return;
  }
  const w0 = readMem(seg, off, 2);
  const w1 = readMem(seg, off + 4, 2);
  // Bit 6 of the control word reads as 1 whatever the image holds (measured).
  store<u32>(OFF_FPU_CW, (w0 & 0x1f3f) | 0x40);
  setSw(w0 >> 16);
  store<u32>(OFF_FPU_EMPTY, ~w1 & 0xff);
  store<u32>(OFF_FPU_FOP, (w1 >> 16) & 0x7ff);
  store<u32>(OFF_FPU_FIP, readMem(seg, off + 8, 2));
  store<u32>(OFF_FPU_FCS, readMem(seg, off + 12, 1));
  store<u32>(OFF_FPU_FDP, readMem(seg, off + 16, 2));
  store<u32>(OFF_FPU_FDS, readMem(seg, off + 20, 1));
  setMxcsr(csr);
  for (let i: u32 = 0; i < 8; i++) {
    const o = off + 32 + (i << 4);
    setPhysBits(phys(i), read64(seg, o), readMem(seg, o + 8, 1));
  }
  for (let w: u32 = 0; w < 32; w++) store<u32>(OFF_XMM + (w << 2), readMem(seg, off + 160 + (w << 2), 2));
  recomputeSummary();
}
