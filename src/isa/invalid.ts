// What is #UD on this CPU, and why, beyond the holes of the group opcodes:
// the two-byte opcodes this CPU (a P6 with CMOV, SYSENTER, the hint NOPs,
// FXSAVE, the SSE forms of map-sse.ts and the MMX ones of map-mmx.ts) does
// not have; an opcode with SSE or MMX forms is still #UD with the prefixes it has no form for. The decoder reports any
// opcode without a form as invalid; this list exists to say why, and to tell
// the generator which #UD probes are safe to compare with a modern host.

export interface InvalidRange {
  first: number; // second opcode byte after 0F
  last: number;
  why: string;
  /** #UD on the host (an x86-64 with AVX-512) too, so a probe compares equal; otherwise the host executes something. */
  udOnHost: boolean;
}

export const INVALID_0F: readonly InvalidRange[] = [
  { first: 0x04, last: 0x04, why: 'reserved', udOnHost: true },
  { first: 0x05, last: 0x05, why: 'SYSCALL (AMD K6 and later); enters the host kernel', udOnHost: false },
  { first: 0x07, last: 0x07, why: 'SYSRET (AMD); #GP or worse on the host', udOnHost: false },
  { first: 0x0a, last: 0x0a, why: 'reserved', udOnHost: true },
  { first: 0x0c, last: 0x0c, why: 'reserved', udOnHost: true },
  { first: 0x0d, last: 0x0d, why: 'PREFETCH/PREFETCHW (3DNow!, later Intel): executes on the host', udOnHost: false },
  { first: 0x0e, last: 0x0f, why: 'FEMMS and 3DNow! (AMD)', udOnHost: false },
  { first: 0x24, last: 0x27, why: 'MOV to/from test registers existed on the 386/486, not on the P6', udOnHost: true },
  { first: 0x36, last: 0x36, why: 'reserved', udOnHost: true },
  { first: 0x37, last: 0x37, why: 'GETSEC (SMX)', udOnHost: false },
  { first: 0x38, last: 0x3a, why: 'three-byte maps (SSSE3 and later)', udOnHost: false },
  { first: 0x3b, last: 0x3f, why: 'reserved', udOnHost: true },
  { first: 0x78, last: 0x7b, why: 'VMREAD/VMWRITE (VMX) and SSE4a/AVX-512 encodings on later CPUs', udOnHost: false },
  { first: 0xa6, last: 0xa7, why: 'CMPXCHG on early 486 steppings only', udOnHost: true },
  { first: 0xb8, last: 0xb8, why: 'JMPE (Itanium), POPCNT with F3', udOnHost: false },
];

/**
 * Group /reg values with no instruction (so #UD) on this CPU and on the host
 * (other holes of this CPU are taken by later extensions: they are #UD here
 * because the table has no form for them, but make no safe probe).
 * Memory operands only where the host gives mod = 3 another meaning
 * (0F 01 mod 3: MONITOR, RDTSCP, CLZERO...; 0F C7 /6 /7 mod 3: RDRAND, RDSEED).
 */
export const GROUP_HOLES: readonly { opcode: number[]; regs: number[]; memoryOnly: boolean; why: string }[] = [
  // 8F whose ModRM bits 4:0 are 8 or more is AMD's XOP escape: the host then decodes (and
  // length-checks) a VEX-like instruction before faulting, so only /4 (bits 4:3 = 0) is a clean probe.
  { opcode: [0x8f], regs: [4], memoryOnly: true, why: 'group 1A has only POP (/1-/7 are #UD; most encodings are XOP escapes on AMD)' },
  { opcode: [0xc6], regs: [1, 2, 3, 4, 5, 6], memoryOnly: false, why: 'group 11 has only MOV (/7 is XABORT with TSX)' },
  { opcode: [0xc7], regs: [1, 2, 3, 4, 5, 6], memoryOnly: false, why: 'group 11 has only MOV (/7 is XBEGIN with TSX)' },
  { opcode: [0xfe], regs: [2, 3, 4, 5, 6, 7], memoryOnly: false, why: 'group 4 has only INC and DEC' },
  { opcode: [0xff], regs: [7], memoryOnly: false, why: 'group 5 /7 is reserved' },
  { opcode: [0x0f, 0x00], regs: [6, 7], memoryOnly: false, why: 'group 6 /6 /7 are reserved' },
  { opcode: [0x0f, 0x01], regs: [5], memoryOnly: true, why: 'group 7 /5 is reserved (mod 3 holds later additions)' },
  { opcode: [0x0f, 0xba], regs: [0, 1, 2, 3], memoryOnly: false, why: 'group 8 starts at /4' },
  // Group 9 has only CMPXCHG8B on the P6; /3-/5 are XRSTORS/XSAVEC/XSAVES and /6 /7 VMX on the host.
  { opcode: [0x0f, 0xc7], regs: [0, 2], memoryOnly: true, why: 'group 9 has only CMPXCHG8B (later CPUs fill /3-/7)' },
];
