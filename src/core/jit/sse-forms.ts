// Which SSE forms the translator compiles (emit-sse.ts emits them): the
// SSE2 integer forms i686 libc's string functions run, by opcode (0x1xx:
// 0F xx) and mandatory prefix, as asm/cpu/sse/execute.ts defines them.

/** XMM[reg] = XMM[reg] op W: PUNPCKLBW WD DQ QDQ, PCMPEQB W D, PMINUB, PMAXUB, PAND, POR, PXOR. */
export const SSE_BINARY = [0x160, 0x161, 0x162, 0x16c, 0x174, 0x175, 0x176, 0x1da, 0x1de, 0x1db, 0x1eb, 0x1ef] as const;

/** Whether `op` with these prefixes (`rep`: F3/F2, `op16`: 66) is compiled; `mem`: its W operand is memory. */
export function isSseNative(op: number, rep: number, op16: boolean, mem: boolean): boolean {
  if (op === 0x16f) return rep === 0xf3 || (rep === 0 && op16); // MOVDQU, MOVDQA loads
  if (rep !== 0 || !op16) return false;
  if (op === 0x1d7) return !mem; // PMOVMSKB
  return op === 0x16e || op === 0x17e || op === 0x170 || op === 0x1df || (SSE_BINARY as readonly number[]).includes(op); // MOVD both ways, PSHUFD, PANDN
}
