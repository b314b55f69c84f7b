// What an x86 oops message says about the machine at the fault: the
// registers it dumped and the instruction it marked in its `Code:` line
// (`... 55 89 e5 <c6> 05 ...`: the bytes around the faulting EIP, the first
// byte of the faulting instruction in angle brackets), decoded with the same
// disassembler as the inspector's.

import { disassemble } from '../isa/disasm.ts';

export interface OopsDecoded {
  /** Registers as the kernel printed them (EAX, ..., EIP when given as a number, EFLAGS, CR0-CR4). */
  registers: Record<string, number>;
  /** The instruction the kernel marked as faulting, in Intel syntax, with its bytes. */
  instruction?: { text: string; bytes: string };
}

const REGISTER = /\b(E[ABCD]X|E[SD]I|E[BS]P|EFLAGS|CR[0234]|[DEFGS]S): ([0-9a-f]{4,8})\b/g;

export function decodeOops(message: string): OopsDecoded {
  const registers: Record<string, number> = {};
  for (const line of message.split('\n')) {
    if (/\bCode: /.test(line)) continue;
    for (const m of line.matchAll(REGISTER)) registers[m[1]] ??= parseInt(m[2], 16);
    // Without KALLSYMS the kernel prints EIP as a bare address (`EIP: 0xc10a5b2c`).
    const eip = /\bEIP: (?:0x)?([0-9a-f]{8})$/.exec(line.trim());
    if (eip) registers.EIP ??= parseInt(eip[1], 16);
  }
  const code = /\bCode: ((?:[<(]?[0-9a-f]{2}[>)]? ?)+)/.exec(message);
  if (!code) return { registers };
  const tokens = code[1].trim().split(/\s+/);
  const at = tokens.findIndex((t) => t.startsWith('<'));
  if (at < 0) return { registers };
  const bytes = Uint8Array.from(tokens.slice(at).map((t) => parseInt(t.replace(/[<>()]/g, ''), 16)));
  const d = disassemble(bytes, 0, { bits: 32, address: registers.EIP ?? 0 });
  const shown = Array.from(bytes.subarray(0, d.length), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return { registers, instruction: { text: d.text, bytes: shown } };
}
