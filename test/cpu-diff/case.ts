// The contract between the differential-test generator, the native oracle
// (native/harness.c) and the glassbox runner: one binary layout for a test
// case, one for its outcome, and the deterministic memory fill both sides use.
//
// The guest address space of a case, identical natively and in glassbox:
//   DATA_ADDR .. +DATA_SIZE    data pages, filled from the case seed
//   STACK_ADDR .. +STACK_SIZE  stack page, filled from the case seed after the data pages
//   CODE_ADDR .. +0x1000       code page: the instruction bytes, then INT3 (0xCC) to the end
// Presets (u32 words at given addresses) are stored after the fill.
// Case record (CASE_BYTES, little-endian): seed u32 @0, regs 8 x u32 @4,
// eflags u32 @36, code length u8 @40, FCS fields u8 @41 and @42 (see
// Case.fcsFields; 0 when none), x87 fields to clear u8 @43 (Case.x87Hide),
// code bytes @44 (CODE_MAX, padded with 0xCC), presets 2 x {addr u32, value
// u32} @64.
// Result record (RESULT_BYTES): regs @0, eip @32, eflags @36, vector @40,
// error code @44, fault address @48, selectors 6 x u16 @52, hash 2 x u32 @64.
// Every other page is unmapped, so a stray access faults (#PF) in both.
// The addresses sit below 64 KiB so 16-bit addressing (0x67) can reach them.

export const DATA_ADDR = 0x2000;
export const DATA_SIZE = 0x2000;
export const STACK_ADDR = 0x5000;
export const STACK_SIZE = 0x1000;
export const CODE_ADDR = 0x7000;
export const CODE_MAX = 20;

export const CASE_BYTES = 80;
export const PRESETS_MAX = 2;
export const RESULT_BYTES = 80;

export interface Case {
  seed: number; // fills the data and stack pages
  regs: number[]; // EAX ECX EDX EBX ESP EBP ESI EDI
  eflags: number;
  code: Uint8Array; // at most CODE_MAX bytes
  // u32 words stored over the filled pages before the run (a far pointer for
  // LDS, a return address for RET...); address 0 marks an unused slot.
  presets: { addr: number; value: number }[];
  // Where the program stores an FNSAVE/FNSTENV code selector (the address of
  // the FCS field's u32 word in the data pages, 4-aligned): the 64-bit
  // harness translates its CS there to the 32-bit process's (long-mode.ts).
  fcsFields?: number[];
  // On a host whose CPU stores x87 pointer fields differently (host-quirks.ts):
  // which fields of the images at fcsFields both sides clear before hashing
  // (x87-pointers.ts). Never set by a generator, so never in the corpus.
  x87Hide?: number;
}

const FCS_FIELDS_MAX = 2;

export interface Result {
  regs: number[];
  eip: number;
  eflags: number;
  vector: number; // the exception that ended the case (3 = the INT3 after the instruction)
  errorCode: number;
  faultAddr: number; // CR2 for #PF, otherwise 0
  segs: number[]; // ES CS SS DS FS GS selectors
  memHash: [number, number]; // hashMemory() of the data and stack pages afterwards
}

export function encodeCase(c: Case, out: DataView, at: number): void {
  out.setUint32(at, c.seed >>> 0, true);
  for (let i = 0; i < 8; i++) out.setUint32(at + 4 + i * 4, c.regs[i] >>> 0, true);
  out.setUint32(at + 36, c.eflags >>> 0, true);
  if (c.code.length > CODE_MAX) throw new Error(`case code is ${c.code.length} bytes, at most ${CODE_MAX}`);
  out.setUint8(at + 40, c.code.length);
  const fcs = c.fcsFields ?? [];
  if (fcs.length > FCS_FIELDS_MAX) throw new Error(`case has ${fcs.length} FCS fields, at most ${FCS_FIELDS_MAX}`);
  for (let i = 0; i < FCS_FIELDS_MAX; i++) {
    const word = i < fcs.length ? (fcs[i] - DATA_ADDR) / 4 : 0;
    if (!Number.isInteger(word) || word < 0 || word > 0xff) throw new Error(`FCS field at ${fcs[i]} is not a word in the first KiB of the data pages`);
    out.setUint8(at + 41 + i, word);
  }
  out.setUint8(at + 43, c.x87Hide ?? 0);
  for (let i = 0; i < CODE_MAX; i++) out.setUint8(at + 44 + i, i < c.code.length ? c.code[i] : 0xcc);
  if (c.presets.length > PRESETS_MAX) throw new Error(`case has ${c.presets.length} presets, at most ${PRESETS_MAX}`);
  for (let i = 0; i < PRESETS_MAX; i++) {
    const p = c.presets[i];
    out.setUint32(at + 64 + i * 8, p ? p.addr >>> 0 : 0, true);
    out.setUint32(at + 68 + i * 8, p ? p.value >>> 0 : 0, true);
  }
}

export function decodeCase(v: DataView, at: number): Case {
  const regs: number[] = [];
  for (let i = 0; i < 8; i++) regs.push(v.getUint32(at + 4 + i * 4, true));
  const len = v.getUint8(at + 40);
  const code = new Uint8Array(len);
  for (let i = 0; i < len; i++) code[i] = v.getUint8(at + 44 + i);
  const presets: { addr: number; value: number }[] = [];
  for (let i = 0; i < PRESETS_MAX; i++) {
    const addr = v.getUint32(at + 64 + i * 8, true);
    if (addr !== 0) presets.push({ addr, value: v.getUint32(at + 68 + i * 8, true) });
  }
  const fcsFields: number[] = [];
  for (let i = 0; i < FCS_FIELDS_MAX; i++) {
    const word = v.getUint8(at + 41 + i);
    if (word) fcsFields.push(DATA_ADDR + word * 4);
  }
  const x87Hide = v.getUint8(at + 43);
  return {
    seed: v.getUint32(at, true),
    regs,
    eflags: v.getUint32(at + 36, true),
    code,
    presets,
    ...(fcsFields.length ? { fcsFields } : {}),
    ...(x87Hide ? { x87Hide } : {}),
  };
}

export function encodeResult(r: Result, out: DataView, at: number): void {
  for (let i = 0; i < 8; i++) out.setUint32(at + i * 4, r.regs[i] >>> 0, true);
  out.setUint32(at + 32, r.eip >>> 0, true);
  out.setUint32(at + 36, r.eflags >>> 0, true);
  out.setUint32(at + 40, r.vector >>> 0, true);
  out.setUint32(at + 44, r.errorCode >>> 0, true);
  out.setUint32(at + 48, r.faultAddr >>> 0, true);
  for (let i = 0; i < 6; i++) out.setUint16(at + 52 + i * 2, r.segs[i], true);
  out.setUint32(at + 64, r.memHash[0] >>> 0, true);
  out.setUint32(at + 68, r.memHash[1] >>> 0, true);
  out.setUint32(at + 72, 0, true);
  out.setUint32(at + 76, 0, true);
}

export function decodeResult(v: DataView, at: number): Result {
  const regs: number[] = [];
  for (let i = 0; i < 8; i++) regs.push(v.getUint32(at + i * 4, true));
  const segs: number[] = [];
  for (let i = 0; i < 6; i++) segs.push(v.getUint16(at + 52 + i * 2, true));
  return {
    regs,
    eip: v.getUint32(at + 32, true),
    eflags: v.getUint32(at + 36, true),
    vector: v.getUint32(at + 40, true),
    errorCode: v.getUint32(at + 44, true),
    faultAddr: v.getUint32(at + 48, true),
    segs,
    memHash: [v.getUint32(at + 64, true), v.getUint32(at + 68, true)],
  };
}

/**
 * Fills the data pages then the stack page from the seed with xorshift32,
 * one little-endian u32 word at a time. harness.c implements the same.
 */
export function fillPages(seed: number, data: Uint32Array, stack: Uint32Array): void {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  for (let i = 0; i < data.length; i++) data[i] = next();
  for (let i = 0; i < stack.length; i++) stack[i] = next();
}

/**
 * Two 32-bit FNV-1a style hashes over the u32 words of the data pages then
 * the stack page. harness.c implements the same.
 */
export function hashMemory(data: Uint32Array, stack: Uint32Array): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x12345678;
  const mix = (w: number): void => {
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x5bd1e995) ^ (b >>> 15);
  };
  for (let i = 0; i < data.length; i++) mix(data[i]);
  for (let i = 0; i < stack.length; i++) mix(stack[i]);
  return [a >>> 0, b >>> 0];
}
