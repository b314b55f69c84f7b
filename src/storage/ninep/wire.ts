// 9P's encoding: little-endian integers of 1, 2, 4 and 8 bytes, strings as a
// 2-byte length and UTF-8, qids as type[1] version[4] path[8]. A message is
// size[4] type[1] tag[2] and its fields. Reading past the end of a message
// throws ShortMessage, which the server answers with an error.

export class ShortMessage extends Error {
  constructor() {
    super('a 9P message shorter than its fields');
    this.name = 'ShortMessage';
  }
}

/** A file's identity as 9P carries it. */
export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

export const QT_DIR = 0x80;
export const QT_SYMLINK = 0x02;
export const QT_FILE = 0;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    const at = this.at;
    if (at + n > this.bytes.length) throw new ShortMessage();
    this.at += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.take(8), true);
  }
  /** A u64 that must fit a double exactly (offsets, sizes): larger is a malformed message. */
  num(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ShortMessage();
    return Number(v);
  }
  str(): string {
    const n = this.u16();
    const at = this.take(n);
    return utf8.decode(this.bytes.subarray(at, at + n));
  }
  data(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }
}

/** Builds one R-message; `finish` fills in its size. */
export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  constructor(type: number, tag: number) {
    this.u32(0).u8(type).u16(tag);
  }

  private room(n: number): number {
    if (this.at + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.at;
    this.at += n;
    return at;
  }

  u8(v: number): this {
    this.view.setUint8(this.room(1), v);
    return this;
  }
  u16(v: number): this {
    this.view.setUint16(this.room(2), v, true);
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.room(4), v >>> 0, true);
    return this;
  }
  u64(v: bigint | number): this {
    this.view.setBigUint64(this.room(8), BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u16(b.length).data(b);
  }
  qid(q: Qid): this {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }
  data(b: Uint8Array): this {
    const at = this.room(b.length); // first: it may replace the buffer
    this.buf.set(b, at);
    return this;
  }
  /** Bytes written so far (the header included). */
  get length(): number {
    return this.at;
  }

  finish(): Uint8Array {
    this.view.setUint32(0, this.at, true);
    return this.buf.slice(0, this.at);
  }
}
