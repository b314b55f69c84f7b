// The LOCK prefix's #UD: whether LOCK may prefix the instruction at EIP, and
// fetching the rest of one it may not. The #UD comes only once the whole
// instruction has been fetched: an instruction longer than 15 bytes, or one
// crossing into a missing page, is #GP or #PF first, as on the real CPU.
// Both read the table generated from src/isa (gen/opcode-attrs.ts), so the
// rules are the ones the disassembler and cpu:diff check.

import { faulted } from './fault';
import { fetch8, decodeModrm, peekByte, opSize32, adSize32 } from './decode';
import {
  OPCODE_ATTRS, ATTR_MODRM, ATTR_MODRM_REG, ATTR_LOCK, ATTR_LOCK_ANY, ATTR_IMM_FIXED_SHIFT, ATTR_IMM_FIXED_MASK, ATTR_IMM_V, ATTR_IMM_A,
} from './gen/opcode-attrs';

@inline function attrs(index: u32, reg: u32): u32 {
  return <u32>unchecked(OPCODE_ATTRS[(index << 3) | reg]);
}

/**
 * Whether LOCK may prefix the instruction whose first opcode byte `op` was
 * just fetched (a memory destination of a lockable form). The ModRM is only
 * peeked at for opcodes with a lockable form: peeking further could read
 * past the 15-byte limit.
 */
export function lockAllowed(op: u32): bool {
  let index = op;
  let at: u32 = 0;
  if (op == 0x0f) {
    index = 0x100 | peekByte(0);
    if (faulted) return false;
    at = 1;
  }
  if ((attrs(index, 0) & ATTR_LOCK_ANY) == 0) return false;
  const modrm = peekByte(at);
  if (faulted || (modrm >> 6) == 3) return false;
  return (attrs(index, (modrm >> 3) & 7) & ATTR_LOCK) != 0;
}

/** Fetches the remainder of the instruction whose (first) opcode byte was `op`. */
export function skipRest(op: u32): void {
  let index = op;
  if (op == 0x0f) {
    index = 0x100 | fetch8();
    if (faulted) return;
  }
  let a = attrs(index, 0);
  if ((a & ATTR_MODRM_REG) != 0) {
    fetch8(); // the ModRM names a register whatever its mod: no displacement
  } else if ((a & ATTR_MODRM) != 0) {
    a = attrs(index, (peekByte(0) >> 3) & 7); // F6/F7: TEST alone has an immediate
    if (faulted) return;
    decodeModrm();
  }
  if (faulted) return;
  let n = (a & ATTR_IMM_FIXED_MASK) >> ATTR_IMM_FIXED_SHIFT;
  if ((a & ATTR_IMM_V) != 0) n += opSize32 ? 4 : 2;
  if ((a & ATTR_IMM_A) != 0) n += adSize32 ? 4 : 2;
  for (let i: u32 = 0; i < n && !faulted; i++) fetch8();
}
