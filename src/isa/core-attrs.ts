// The per-opcode facts the core's interpreter needs before it dispatches,
// taken from the form table and written out as an AssemblyScript table
// (asm/cpu/gen/opcode-attrs.ts) by scripts/gen-opcode-attrs.ts at
// `npm run build:asm`: whether a ModRM follows, how many immediate bytes
// follow it, and whether LOCK is legal. The core uses them to fetch the rest
// of an instruction it is about to refuse (a LOCK #UD comes only after a
// fetch fault or the 15-byte limit) and to decide LOCK legality, so those
// rules are the ones objdump and cpu:diff already check against this table.

import { OPCODE_INDEX } from './table.ts';
import { operandBytes } from './decode.ts';
import { INVALID_0F } from './invalid.ts';
import type { Form } from './types.ts';

/** Attribute bits of one (opcode, ModRM /reg) entry. */
export const ATTR = {
  /** A ModRM byte follows the opcode. */
  MODRM: 0x01,
  /** The ModRM names a register whatever its mod bits (MOV CRn/DRn): no SIB or displacement follows. */
  MODRM_REG: 0x02,
  /** LOCK is legal with this /reg (and a memory operand). */
  LOCK: 0x04,
  /** LOCK is legal with some /reg of this opcode: only then is the ModRM worth peeking at. */
  LOCK_ANY: 0x08,
  /** Immediate bytes of fixed size (0-3), in bits 4-5. */
  IMM_FIXED_SHIFT: 4,
  IMM_FIXED_MASK: 0x30,
  /** Plus one operand-size immediate (2 or 4 bytes: Iz, Iv, Jz, the offset of Ap). */
  IMM_V: 0x40,
  /** Plus one address-size offset (2 or 4 bytes: Ob, Ov). */
  IMM_A: 0x80,
} as const;

/** Entries: (opcode index << 3) | ModRM.reg, opcode index b or 0x100 + b for 0F b. */
export const ATTR_ENTRIES = 0x200 * 8;

function immBits(f: Form): number {
  let fixed = 0;
  let bits = 0;
  for (const o of f.operands) {
    if (o === 'Iz' || o === 'Iv' || o === 'Jz') bits |= ATTR.IMM_V;
    else if (o === 'Ap') {
      bits |= ATTR.IMM_V;
      fixed += 2;
    } else if (o === 'Ob' || o === 'Ov') bits |= ATTR.IMM_A;
    else fixed += operandBytes(o, false, false);
  }
  if (fixed > 3) throw new Error(`${f.id}: ${fixed} fixed immediate bytes do not fit the core's table`);
  return bits | (fixed << ATTR.IMM_FIXED_SHIFT);
}

/** The length bits of a form: ModRM and immediates. */
function lengthBits(f: Form): number {
  const modrm = f.modrm ? ATTR.MODRM : 0;
  // 'R' is the SDM letter for an r/m that is a register whatever mod says.
  const regOnly = f.operands.some((o) => o[0] === 'R') ? ATTR.MODRM_REG : 0;
  return modrm | regOnly | immBits(f);
}

/**
 * The length of a 0F opcode that has no form: #UD here, but the CPU fetches
 * the whole instruction first when LOCK makes it #UD, so its ModRM and
 * immediate still count. From the SDM opcode map (vol. 2, table A-3):
 * SYSCALL, SYSRET, EMMS and the rest of the 0F 30-37 row (GETSEC and the
 * reserved 36) take no ModRM; the other holes are read as ModRM forms (MMX,
 * the three-byte escapes by their first byte, reserved rows, and 3DNow!
 * without its trailing opcode byte).
 */
function holeBits(op2: number): number {
  const noModrm = op2 === 0x05 || op2 === 0x07 || op2 === 0x36 || op2 === 0x37 || op2 === 0x77;
  if (noModrm) return 0;
  // PSHUFW and the MMX shift groups (0F 70-73) carry an immediate byte.
  const ib = op2 >= 0x70 && op2 <= 0x73 ? 1 << ATTR.IMM_FIXED_SHIFT : 0;
  return ATTR.MODRM | ib;
}

/** The table, ATTR_ENTRIES bytes. Throws if two forms of one entry disagree on length. */
export function opcodeAttrs(): Uint8Array {
  const out = new Uint8Array(ATTR_ENTRIES);
  for (let op = 0; op < 0x200; op++) {
    const forms = OPCODE_INDEX[op];
    if (!forms) {
      if (op < 0x100) continue; // prefixes and 0F: not opcodes the core looks up
      out.fill(holeBits(op & 0xff), op << 3, (op + 1) << 3);
      continue;
    }
    // One length for the whole opcode: the CPU sizes an instruction before
    // it knows which /reg or mandatory prefix form it is (a /reg hole of a
    // group is as long as its neighbours).
    const lengths = new Set(forms.map(lengthBits));
    if (lengths.size > 1 && !(op === 0xf6 || op === 0xf7)) throw new Error(`opcode ${op.toString(16)}: forms of different lengths`);
    const anyLock = forms.some((f) => f.lock);
    for (let reg = 0; reg < 8; reg++) {
      const atReg = forms.filter((f) => f.reg === undefined || f.reg === reg);
      let bits = atReg.length ? lengthBits(atReg[0]) : lengthBits(forms[0]);
      if (atReg.some((f) => f.lock)) bits |= ATTR.LOCK;
      if (anyLock) bits |= ATTR.LOCK_ANY;
      out[(op << 3) | reg] = bits;
    }
  }
  return out;
}

/** The AssemblyScript source of asm/cpu/gen/opcode-attrs.ts. */
export function renderOpcodeAttrs(): string {
  const t = opcodeAttrs();
  const rows: string[] = [];
  for (let op = 0; op < 0x200; op++) {
    const cells = Array.from(t.subarray(op << 3, (op + 1) << 3), (b) => `0x${b.toString(16).padStart(2, '0')}`);
    const name = op < 0x100 ? op.toString(16).padStart(2, '0') : `0f ${(op & 0xff).toString(16).padStart(2, '0')}`;
    const forms = OPCODE_INDEX[op];
    const what = forms
      ? [...new Set(forms.map((f) => f.mnemonic))].join(' ')
      : INVALID_0F.find((r) => (op & 0xff) >= r.first && (op & 0xff) <= r.last)
        ? 'invalid'
        : op < 0x100
          ? 'prefix'
          : 'no form';
    rows.push(`  ${cells.join(', ')}, // ${name} ${what}`);
  }
  const consts = Object.entries(ATTR).map(([k, v]) => `export const ATTR_${k}: u32 = ${k.endsWith('SHIFT') ? v : `0x${v.toString(16).padStart(2, '0')}`};`);
  return [
    '// GENERATED by scripts/gen-opcode-attrs.ts from src/isa (src/isa/core-attrs.ts): do not edit.',
    '// `npm run build:asm` rewrites it; test/isa/core-attrs.test.ts fails when it is stale.',
    '// Per (opcode, ModRM /reg): ModRM, immediate sizes and LOCK legality; opcode',
    '// index b for one-byte opcodes, 0x100 + b for 0F b; entry (index << 3) | reg.',
    '',
    ...consts,
    '',
    `export const OPCODE_ATTRS: StaticArray<u8> = [`,
    ...rows,
    '];',
    '',
  ].join('\n');
}
