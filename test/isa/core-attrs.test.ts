import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ATTR, opcodeAttrs, renderOpcodeAttrs } from '../../src/isa/core-attrs.ts';
import { decode } from '../../src/isa/decode.ts';

describe('the core opcode table generated from src/isa', () => {
  it('asm/cpu/gen/opcode-attrs.ts is what the form table gives now (run npm run build:asm)', () => {
    const committed = readFileSync(new URL('../../asm/cpu/gen/opcode-attrs.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderOpcodeAttrs());
  });

  it("gives the decoder's length for every formed opcode, /reg and operand size", () => {
    // The table is a compression of the forms (one length per opcode); the
    // decoder reads the forms directly, so both must size alike.
    const t = opcodeAttrs();
    let checked = 0;
    for (let op = 0; op < 0x200; op++) {
      if (op === 0x0f) continue; // the escape, not an opcode
      for (let reg = 0; reg < 8; reg++) {
        for (const bits of [16, 32] as const) {
          const opcode = op < 0x100 ? [op] : [0x0f, op & 0xff];
          // mod 0, rm 0: no SIB or displacement in either address size.
          const bytes = new Uint8Array([...opcode, reg << 3, ...new Array(12).fill(0)]);
          const d = decode(bytes, 0, bits);
          if (!d.form || d.prefixes.length) continue;
          const a = t[(op << 3) | reg];
          const v = bits === 16 ? 2 : 4;
          const imm = ((a & ATTR.IMM_FIXED_MASK) >> ATTR.IMM_FIXED_SHIFT) + (a & ATTR.IMM_V ? v : 0) + (a & ATTR.IMM_A ? v : 0);
          expect(opcode.length + (a & ATTR.MODRM ? 1 : 0) + imm, `${d.form.id} (${bits}-bit)`).toBe(d.length);
          expect(Boolean(a & ATTR.LOCK), d.form.id).toBe(Boolean(d.form.lock));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });
});
