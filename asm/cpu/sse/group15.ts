// Group 15 (0F AE) as a Pentium 4 has it: FXSAVE /0, FXRSTOR /1, LDMXCSR /2,
// STMXCSR /3 and CLFLUSH /7 with a memory operand; LFENCE /5, MFENCE /6 and
// SFENCE /7 with a register one (any r/m). Everything else there (XSAVE
// and its kin, the FSGSBASE and CET forms, CLWB, CLFLUSHOPT) is #UD.
// The fences order nothing: this core executes one instruction at a time
// and has no write buffer.

import { decodeModrm, mrMod, mrReg, eaSeg, eaOff, readMem, writeMem, repPrefix } from '../decode';
import { linRead } from '../segments';
import { lookup, userMode } from '../memory';
import { faulted, gp, ud } from '../fault';
import { fxsave, fxrstor } from './fxsave';
import { mxcsr, setMxcsr, sseUsable, fxsrUsable, MXCSR_MASK } from './mxcsr';

export function group15(): void {
  decodeModrm();
  if (faulted) return;
  // F2/F3 select other instructions here on later CPUs (RDFSBASE, UMWAIT...);
  // 66 (CLWB, CLFLUSHOPT, TPAUSE there) is ignored, as the Pentium 4 predates them.
  if (repPrefix != 0) {
    ud();
    return;
  }
  if (mrMod == 3) {
    if (mrReg < 5) ud();
    return;
  }
  switch (mrReg) {
    case 0:
      if (fxsrUsable()) fxsave(eaSeg, eaOff);
      return;
    case 1:
      if (fxsrUsable()) fxrstor(eaSeg, eaOff);
      return;
    case 2: {
      if (!sseUsable()) return;
      const v = readMem(eaSeg, eaOff, 2);
      if (faulted) return;
      if ((v & ~MXCSR_MASK) != 0) gp(0);
      else setMxcsr(v);
      return;
    }
    case 3:
      if (sseUsable()) writeMem(eaSeg, eaOff, 2, mxcsr());
      return;
    case 7: {
      // CLFLUSH: checked as a byte read (segment and page), then nothing to write back.
      const lin = linRead(eaSeg, eaOff, 1);
      if (!faulted) lookup(lin, false, userMode);
      return;
    }
    default: ud();
  }
}
