// The packed-integer opcodes MMX defined on MM registers and SSE2 repeated on
// XMM registers under a 66 prefix: in the SDM's two-byte opcode map (vol. 2,
// table A-3) they are one row with two prefix columns, so they are written
// once here and map-mmx.ts and map-sse.ts each make their column's forms.

/** Runs of consecutive opcodes (0F first, first + 1, ...), each named on both register files. */
export const PACKED_INTEGER_RUNS: readonly (readonly [first: number, names: readonly string[]])[] = [
  [0x60, ['PUNPCKLBW', 'PUNPCKLWD', 'PUNPCKLDQ', 'PACKSSWB', 'PCMPGTB', 'PCMPGTW', 'PCMPGTD', 'PACKUSWB']],
  [0x68, ['PUNPCKHBW', 'PUNPCKHWD', 'PUNPCKHDQ', 'PACKSSDW']],
  [0x74, ['PCMPEQB', 'PCMPEQW', 'PCMPEQD']],
  [0xd1, ['PSRLW', 'PSRLD', 'PSRLQ', 'PADDQ', 'PMULLW']],
  [0xd8, ['PSUBUSB', 'PSUBUSW', 'PMINUB', 'PAND', 'PADDUSB', 'PADDUSW', 'PMAXUB', 'PANDN', 'PAVGB', 'PSRAW', 'PSRAD', 'PAVGW', 'PMULHUW', 'PMULHW']],
  [0xe8, ['PSUBSB', 'PSUBSW', 'PMINSW', 'POR', 'PADDSB', 'PADDSW', 'PMAXSW', 'PXOR']],
  [0xf1, ['PSLLW', 'PSLLD', 'PSLLQ', 'PMULUDQ', 'PMADDWD', 'PSADBW']],
  [0xf8, ['PSUBB', 'PSUBW', 'PSUBD', 'PSUBQ', 'PADDB', 'PADDW', 'PADDD']],
];

/**
 * Groups 12, 13 and 14 (0F 71, 72, 73): shifts of a register by an
 * immediate, the operation in ModRM.reg. PSRLDQ and PSLLDQ (whole-register
 * byte shifts) exist on XMM registers only.
 */
export const SHIFT_BY_IMMEDIATE: readonly (readonly [name: string, opcode: number, reg: number, xmmOnly: boolean])[] = [
  ['PSRLW', 0x71, 2, false],
  ['PSRAW', 0x71, 4, false],
  ['PSLLW', 0x71, 6, false],
  ['PSRLD', 0x72, 2, false],
  ['PSRAD', 0x72, 4, false],
  ['PSLLD', 0x72, 6, false],
  ['PSRLQ', 0x73, 2, false],
  ['PSRLDQ', 0x73, 3, true],
  ['PSLLQ', 0x73, 6, false],
  ['PSLLDQ', 0x73, 7, true],
];
