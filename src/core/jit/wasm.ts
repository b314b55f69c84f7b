// A minimal WebAssembly binary writer for the translator: one module per
// compiled region, importing the core's memory, globals and helpers, with a
// single exported function. Only the opcodes the translator emits are named.

export const enum Op {
  Block = 0x02,
  Loop = 0x03,
  If = 0x04,
  Else = 0x05,
  End = 0x0b,
  Br = 0x0c,
  BrIf = 0x0d,
  BrTable = 0x0e,
  Return = 0x0f,
  Call = 0x10,
  Drop = 0x1a,
  Select = 0x1b,
  LocalGet = 0x20,
  LocalSet = 0x21,
  LocalTee = 0x22,
  GlobalGet = 0x23,
  GlobalSet = 0x24,
  I32Load = 0x28,
  I32Load8U = 0x2d,
  I32Load16U = 0x2f,
  I32Store = 0x36,
  I32Store8 = 0x3a,
  I32Store16 = 0x3b,
  I32Const = 0x41,
  I64Const = 0x42,
  I64Load = 0x29,
  I64Store = 0x37,
  I64Add = 0x7c,
  I32Eqz = 0x45,
  I32Eq = 0x46,
  I32Ne = 0x47,
  I32LtS = 0x48,
  I32LtU = 0x49,
  I32GtS = 0x4a,
  I32GtU = 0x4b,
  I32LeS = 0x4c,
  I32LeU = 0x4d,
  I32GeS = 0x4e,
  I32GeU = 0x4f,
  I32Clz = 0x67,
  I32Ctz = 0x68,
  I32Popcnt = 0x69,
  I32Add = 0x6a,
  I32Sub = 0x6b,
  I32Mul = 0x6c,
  I32And = 0x71,
  I32Or = 0x72,
  I32Xor = 0x73,
  I32Shl = 0x74,
  I32ShrS = 0x75,
  I32ShrU = 0x76,
  I32Rotl = 0x77,
  I32Rotr = 0x78,
  I64Eqz = 0x50,
  I64Ne = 0x52,
  I64GtU = 0x56,
  I64Sub = 0x7d,
  I64Mul = 0x7e,
  I64DivS = 0x7f,
  I64DivU = 0x80,
  I64RemS = 0x81,
  I64RemU = 0x82,
  I64Or = 0x84,
  I64Shl = 0x86,
  I64ShrS = 0x87,
  I64ShrU = 0x88,
  I32WrapI64 = 0xa7,
  I64ExtendI32S = 0xac,
  I64ExtendI32U = 0xad,
  I32Extend8S = 0xc0,
  I32Extend16S = 0xc1,
}

/** The SIMD opcodes used (after the 0xfd prefix, as LEB128). */
export const enum Simd {
  V128Load = 0x00,
  V128Store = 0x0b,
  I8x16Shuffle = 0x0d,
  I8x16Eq = 0x23,
  I16x8Eq = 0x2d,
  I32x4Eq = 0x37,
  V128And = 0x4e,
  V128AndNot = 0x4f,
  V128Or = 0x50,
  V128Xor = 0x51,
  I8x16Bitmask = 0x64,
  I8x16MinU = 0x77,
  I8x16MaxU = 0x79,
}
export const SIMD_PREFIX = 0xfd;

export const VOID = 0x40;
export const I32_RESULT = 0x7f;
const I32 = 0x7f;

/** Growable byte buffer with LEB128 writers. */
export class Bytes {
  private buf = new Uint8Array(4096);
  length = 0;

  byte(b: number): void {
    if (this.length === this.buf.length) this.room(1);
    this.buf[this.length++] = b;
  }
  /** Appends `bs` in one copy: a region's body is tens of KiB, copied into its section and then its module. */
  bytes(bs: ArrayLike<number>): void {
    if (this.length + bs.length > this.buf.length) this.room(bs.length);
    this.buf.set(bs, this.length);
    this.length += bs.length;
  }
  private room(more: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + more) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  /** Appends another buffer prefixed with its length (a section or function body). */
  sized(inner: Bytes): void {
    this.u32(inner.length);
    this.bytes(inner.view());
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** A branch hint: the offset of an `if` in the function's code, and whether it is mostly taken. */
export interface BodyHint {
  at: number;
  likely: boolean;
}

export interface FuncImport {
  name: string;
  params: number;
  results: 0 | 1;
}

/**
 * Builds a module importing memory 'm', the mutable i32 globals and the
 * functions named (all i32), in that order, from module 'c', and exporting
 * one function 'f' (i32, i32) -> i32 with `locals` extra i32 locals, then one i64, and `body`,
 * with the branch `hints` at offsets into `body` (in increasing order).
 */
export function buildModule(globals: readonly string[], funcs: readonly FuncImport[], locals: number, body: Bytes, hints: readonly BodyHint[] = []): Uint8Array {
  const sigs: string[] = [];
  const sigOf = (params: number, results: number): number => {
    const key = `${params}:${results}`;
    let i = sigs.indexOf(key);
    if (i < 0) i = sigs.push(key) - 1;
    return i;
  };
  const funcSigs = funcs.map((f) => sigOf(f.params, f.results));
  const regionSig = sigOf(2, 1);

  const out = new Bytes();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, fill: (s: Bytes) => void) => {
    const s = new Bytes();
    fill(s);
    out.byte(id);
    out.sized(s);
  };
  section(1, (s) => {
    s.u32(sigs.length);
    for (const key of sigs) {
      const [p, r] = key.split(':').map(Number);
      s.byte(0x60);
      s.u32(p);
      for (let i = 0; i < p; i++) s.byte(I32);
      s.u32(r);
      for (let i = 0; i < r; i++) s.byte(I32);
    }
  });
  section(2, (s) => {
    s.u32(1 + globals.length + funcs.length);
    s.name('c');
    s.name('m');
    s.byte(0x02);
    s.byte(0x00);
    s.u32(1);
    for (const g of globals) {
      s.name('c');
      s.name(g);
      s.byte(0x03);
      s.byte(I32);
      s.byte(0x01);
    }
    funcs.forEach((f, i) => {
      s.name('c');
      s.name(f.name);
      s.byte(0x00);
      s.u32(funcSigs[i]);
    });
  });
  section(3, (s) => {
    s.u32(1);
    s.u32(regionSig);
  });
  section(7, (s) => {
    s.u32(1);
    s.name('f');
    s.byte(0x00);
    s.u32(funcs.length);
  });
  const fn = new Bytes();
  fn.u32(2);
  fn.u32(locals);
  fn.byte(I32);
  fn.u32(1);
  fn.byte(0x7e); // one i64
  const codeAt = fn.length;
  fn.bytes(body.view());
  fn.byte(Op.End);
  // The branch-hinting proposal's code metadata, before the code section:
  // offsets count from the start of the function's body, its locals included.
  if (hints.length > 0) {
    section(0, (s) => {
      s.name('metadata.code.branch_hint');
      s.u32(1);
      s.u32(funcs.length); // the region's function: after the imported ones
      s.u32(hints.length);
      for (const h of hints) {
        s.u32(codeAt + h.at);
        s.u32(1);
        s.byte(h.likely ? 1 : 0);
      }
    });
  }
  section(10, (s) => {
    s.u32(1);
    s.sized(fn);
  });
  return out.view().slice();
}
