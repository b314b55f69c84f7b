// Fetching the rest of an instruction without executing it. An invalid LOCK
// is #UD, but only once the whole instruction has been fetched: an
// instruction longer than 15 bytes, or one crossing into a missing page, is
// #GP or #PF first, as on the real CPU.

import { faulted } from './fault';
import { fetch8, decodeModrm, peekByte, opSize32, adSize32, vSize } from './decode';

// One-byte opcodes with a ModRM byte.
function hasModrm(op: u32): bool {
  if (op < 0x40) return (op & 7) < 4;
  return (op >= 0x80 && op <= 0x8f) || op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b ||
    op == 0xc0 || op == 0xc1 || (op >= 0xc4 && op <= 0xc7) || (op >= 0xd0 && op <= 0xd3) ||
    (op >= 0xd8 && op <= 0xdf) || op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

// Bytes of immediate after the ModRM of a one-byte opcode (reg: the ModRM /reg, for F6/F7).
function immBytes(op: u32, reg: u32): u32 {
  const v: u32 = opSize32 ? 4 : 2;
  if (op < 0x40) return (op & 7) == 4 ? 1 : (op & 7) == 5 ? v : 0;
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0xb0 && op <= 0xb7) || (op >= 0xe0 && op <= 0xe7)) return 1;
  if (op >= 0xb8 && op <= 0xbf) return v;
  if (op >= 0xa0 && op <= 0xa3) return adSize32 ? 4 : 2;
  switch (op) {
    case 0x6a: case 0x6b: case 0x80: case 0x82: case 0x83: case 0xa8: case 0xc0: case 0xc1: case 0xc6:
    case 0xcd: case 0xd4: case 0xd5: case 0xeb:
      return 1;
    case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7: case 0xe8: case 0xe9: return v;
    case 0xc2: case 0xca: return 2;
    case 0xc8: return 3;
    case 0x9a: case 0xea: return v + 2;
    case 0xf6: return reg < 2 ? 1 : 0;
    case 0xf7: return reg < 2 ? v : 0;
    default: return 0;
  }
}

function skipBytes(n: u32): void {
  for (let i: u32 = 0; i < n && !faulted; i++) fetch8();
}

/** Fetches the remainder of the instruction whose (first) opcode byte was `op`. */
export function skipRest(op: u32): void {
  if (op == 0x0f) {
    const op2 = fetch8();
    if (faulted) return;
    const noModrm = (op2 >= 0x05 && op2 <= 0x09) || op2 == 0x0b || (op2 >= 0x30 && op2 <= 0x37) ||
      op2 == 0x77 || (op2 >= 0x80 && op2 <= 0x8f) || op2 == 0xa0 || op2 == 0xa1 || op2 == 0xa2 ||
      op2 == 0xa8 || op2 == 0xa9 || op2 == 0xaa || (op2 >= 0xc8 && op2 <= 0xcf);
    // MOV to and from CRn/DRn (0F 20-23) read their ModRM as a register
    // whatever the mod bits say: no displacement follows.
    if (op2 >= 0x20 && op2 <= 0x23) fetch8();
    else if (!noModrm) decodeModrm();
    if (faulted) return;
    if (op2 >= 0x80 && op2 <= 0x8f) skipBytes(vSize() == 2 ? 4 : 2);
    else if ((op2 >= 0x70 && op2 <= 0x73) || op2 == 0xa4 || op2 == 0xac || op2 == 0xba || op2 == 0xc2 || (op2 >= 0xc4 && op2 <= 0xc6)) skipBytes(1);
    return;
  }
  let reg: u32 = 0;
  if (hasModrm(op)) {
    reg = (peekByte(0) >> 3) & 7;
    if (faulted) return;
    decodeModrm();
    if (faulted) return;
  }
  skipBytes(immBytes(op, reg));
}
