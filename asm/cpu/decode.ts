// Instruction fetch, prefixes, ModRM/SIB effective addresses, and operand
// access by size. Size index everywhere: 0 = byte, 1 = word, 2 = dword.

import {
  SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, segBase, segLimit, reg32, setReg32, reg16, setReg16,
  reg8, setReg8, EBP, ESP,
} from './state';
import { faulted, gp, ud } from './fault';
import { fetchEntry, readLin, writeLin, prepareWrite, T_MMIO } from './memory';
import { linRead, linWrite, codeIs32 } from './segments';
import { fetchLo, fetchSpan, fetchBias, decodeReset, setFetchWindow, closeFetchWindow, setDecodeReset } from './fetch-window';

// --- per-instruction decode state
export let instrStart: u32 = 0; // EIP of the first byte (prefixes included)
export let ip: u32 = 0; // offset in CS of the next byte to fetch
export let opSize32: bool = true; // after 0x66
export let adSize32: bool = true; // after 0x67
export let segOverride: i32 = -1;
export let repPrefix: u32 = 0; // 0, 0xF2 or 0xF3
export let lockPrefix: bool = false;

// --- ModRM
export let mrMod: u32 = 0;
export let mrReg: u32 = 0;
export let mrRm: u32 = 0;
export let eaOff: u32 = 0;
export let eaSeg: i32 = SEG_DS;
export let eaBaseIsEsp: bool = false; // POP Ev adjusts an ESP-based address

// Set while an instruction has so many prefixes that it could pass the
// 15-byte limit: fetches then take the checked path.
let strictLength: bool = false;

function refillFetch(): bool {
  if (strictLength && ip - instrStart >= 15) {
    gp(0);
    return false;
  }
  const limit = segLimit(SEG_CS);
  if (ip > limit) {
    gp(0);
    return false;
  }
  const lin = segBase(SEG_CS) + ip;
  const e = fetchEntry(lin);
  if (faulted) return false;
  if (e & T_MMIO) {
    closeFetchWindow();
    return true;
  }
  const pageOff = lin & 0xfff;
  let span: u32 = 0x1000 - pageOff;
  if (limit - ip < span - 1) span = limit - ip + 1;
  setFetchWindow(ip, strictLength ? 0 : span, (e & 0xfffff000) + pageOff - ip);
  return true;
}

function fetchSlow8(): u32 {
  if (!refillFetch()) return 0;
  if (fetchSpan == 0) {
    // MMIO code or the strict path: one checked byte at a time.
    const v = readLinAsCode(segBase(SEG_CS) + ip);
    ip++;
    return v;
  }
  const v = <u32>load<u8>(fetchBias + ip);
  ip++;
  return v;
}

function readLinAsCode(lin: u32): u32 {
  const e = fetchEntry(lin);
  if (faulted) return 0;
  if (e & T_MMIO) return readLin(lin, 0);
  return load<u8>((e & 0xfffff000) + (lin & 0xfff));
}

@inline export function fetch8(): u32 {
  if (ip - fetchLo < fetchSpan) {
    const v = <u32>load<u8>(fetchBias + ip);
    ip++;
    return v;
  }
  return fetchSlow8();
}

export function fetch16(): u32 {
  if (ip - fetchLo + 1 < fetchSpan) {
    const v = <u32>load<u16>(fetchBias + ip);
    ip += 2;
    return v;
  }
  const lo = fetch8();
  return lo | (fetch8() << 8);
}

export function fetch32(): u32 {
  if (ip - fetchLo + 3 < fetchSpan) {
    const v = load<u32>(fetchBias + ip);
    ip += 4;
    return v;
  }
  const lo = fetch16();
  return lo | (fetch16() << 16);
}

/** Immediate of operand size v (16 or 32 bits). */
@inline export function fetchImmV(): u32 {
  return opSize32 ? fetch32() : fetch16();
}
@inline export function fetchImm(sz: u32): u32 {
  return sz == 0 ? fetch8() : sz == 1 ? fetch16() : fetch32();
}
@inline export function fetchSimm8(): u32 {
  return <u32>(<i32>(<i8>fetch8()));
}

/** The byte `ahead` bytes past the next one, without consuming anything (LOCK validation looks at the ModRM). */
export function peekByte(ahead: u32): u32 {
  const save = ip;
  ip += ahead;
  const v = fetch8();
  ip = save;
  return v;
}

/** Moves the memory operand (BT with a register bit offset addresses beyond it). */
export function setEaOff(v: u32): void {
  eaOff = adSize32 ? v : v & 0xffff;
}

/** Starts decoding an instruction at EIP. */
@inline export function beginInstruction(eip: u32): void {
  instrStart = eip;
  ip = eip;
  if (decodeReset) resetDecode();
}

function resetDecode(): void {
  setDecodeReset(false);
  const is32 = codeIs32();
  opSize32 = is32;
  adSize32 = is32;
  segOverride = -1;
  repPrefix = 0;
  lockPrefix = false;
  if (strictLength) {
    strictLength = false;
    closeFetchWindow();
  }
}

/** After the third prefix byte, the 15-byte limit may matter: fetch bytes one by one with the check. */
function enterStrictLength(): void {
  strictLength = true;
  closeFetchWindow();
}

// Set by every control transfer: the run loop looks for compiled code at the new EIP.
export let branched: bool = false;

export function setIp(v: u32): void {
  ip = v;
  branched = true;
}

export function clearBranched(): void {
  branched = false;
}

/** Puts the decoder at `eip` as if it had just begun an instruction there (a compiled region faulted on it). */
export function restartAt(eip: u32): void {
  instrStart = eip;
  ip = eip;
}

// The prefix bytes: 26 2E 36 3E (segment), 64 65 (segment) 66 67 (sizes), F0 F2 F3.
// Most instructions have none; three masked compares beat a chain of eleven.
@inline function isPrefix(b: u32): bool {
  return (b & 0xe7) == 0x26 || (b & 0xfc) == 0x64 || ((b & 0xfc) == 0xf0 && b != 0xf1);
}

/** Reads the prefixes of an instruction and returns its first opcode byte (0 after a fault). */
@inline export function fetchOpcode(): u32 {
  const b = fetch8();
  if (faulted) return 0;
  if (!isPrefix(b)) return b;
  return fetchPrefixed(b);
}

function fetchPrefixed(first: u32): u32 {
  let b = first;
  let n: u32 = 0;
  while (true) {
    switch (b) {
      case 0x26: segOverride = SEG_ES; break;
      case 0x2e: segOverride = SEG_CS; break;
      case 0x36: segOverride = SEG_SS; break;
      case 0x3e: segOverride = SEG_DS; break;
      case 0x64: segOverride = SEG_FS; break;
      case 0x65: segOverride = SEG_GS; break;
      case 0x66: opSize32 = !codeIs32(); break;
      case 0x67: adSize32 = !codeIs32(); break;
      case 0xf0: lockPrefix = true; break;
      case 0xf2:
      case 0xf3: repPrefix = b; break;
      default: return b;
    }
    setDecodeReset(true);
    n++;
    if (n == 3) enterStrictLength();
    b = fetch8();
    if (faulted) return 0;
  }
}

// ---------------------------------------------------------------- ModRM

@inline export function decodeModrm(): void {
  decodeModrmByte(fetch8());
}

/** Decodes a ModRM whose operand must be memory; #UD (returns false) for a register. */
export function decodeMemoryModrm(): bool {
  decodeModrm();
  if (faulted) return false;
  if (mrMod == 3) {
    ud();
    return false;
  }
  return true;
}

/** Decodes the operand of a ModRM byte the caller has already fetched. */
@inline export function decodeModrmByte(m: u32): void {
  mrMod = m >> 6;
  mrReg = (m >> 3) & 7;
  mrRm = m & 7;
  if (mrMod != 3) decodeAddress();
}

function decodeAddress(): void {
  if (adSize32) ea32();
  else ea16();
  if (segOverride >= 0) eaSeg = segOverride;
}

function ea32(): void {
  let off: u32;
  let seg = SEG_DS;
  eaBaseIsEsp = false;
  if (mrRm == 4) {
    const sib = fetch8();
    const index = (sib >> 3) & 7;
    const base = sib & 7;
    off = index == 4 ? 0 : reg32(index) << (sib >> 6);
    if (base == 5 && mrMod == 0) {
      off += fetch32();
    } else {
      off += reg32(base);
      if (base == ESP || base == EBP) seg = SEG_SS;
      eaBaseIsEsp = base == ESP;
    }
  } else if (mrRm == 5 && mrMod == 0) {
    off = fetch32();
  } else {
    off = reg32(mrRm);
    if (mrRm == EBP) seg = SEG_SS;
  }
  if (mrMod == 1) off += fetchSimm8();
  else if (mrMod == 2) off += fetch32();
  eaOff = off;
  eaSeg = seg;
}

function ea16(): void {
  let off: u32;
  let seg = SEG_DS;
  eaBaseIsEsp = false;
  switch (mrRm) {
    case 0: off = reg16(3) + reg16(6); break; // BX+SI
    case 1: off = reg16(3) + reg16(7); break; // BX+DI
    case 2: off = reg16(5) + reg16(6); seg = SEG_SS; break; // BP+SI
    case 3: off = reg16(5) + reg16(7); seg = SEG_SS; break; // BP+DI
    case 4: off = reg16(6); break; // SI
    case 5: off = reg16(7); break; // DI
    case 6:
      if (mrMod == 0) {
        off = fetch16();
      } else {
        off = reg16(5); // BP
        seg = SEG_SS;
      }
      break;
    default: off = reg16(3); break; // BX
  }
  if (mrMod == 1) off += fetchSimm8();
  else if (mrMod == 2) off += fetch16();
  eaOff = off & 0xffff;
  eaSeg = seg;
}

/** Segment for an implicit DS access (string sources, XLAT, moffs), after overrides. */
@inline export function dataSeg(): i32 {
  return segOverride >= 0 ? segOverride : SEG_DS;
}

// ---------------------------------------------------------------- operands

@inline export function readReg(sz: u32, r: u32): u32 {
  return sz == 2 ? reg32(r) : sz == 1 ? reg16(r) : reg8(r);
}
@inline export function writeReg(sz: u32, r: u32, v: u32): void {
  if (sz == 2) setReg32(r, v);
  else if (sz == 1) setReg16(r, v);
  else setReg8(r, v);
}

/** Reads `sz` at seg:off with segment and paging checks; 0 after a fault. */
export function readMem(seg: i32, off: u32, sz: u32): u32 {
  const lin = linRead(seg, off, 1 << sz);
  if (faulted) return 0;
  return readLin(lin, sz);
}
export function writeMem(seg: i32, off: u32, sz: u32, v: u32): void {
  const lin = linWrite(seg, off, 1 << sz);
  if (faulted) return;
  writeLin(lin, sz, v);
}

@inline export function readE(sz: u32): u32 {
  return mrMod == 3 ? readReg(sz, mrRm) : readMem(eaSeg, eaOff, sz);
}
@inline export function writeE(sz: u32, v: u32): void {
  if (mrMod == 3) writeReg(sz, mrRm, v);
  else writeMem(eaSeg, eaOff, sz, v);
}
@inline export function readG(sz: u32): u32 {
  return readReg(sz, mrReg);
}
@inline export function writeG(sz: u32, v: u32): void {
  writeReg(sz, mrReg, v);
}

// Read-modify-write of the E operand: the destination is checked for writing
// before it is read, so nothing changes if the write would fault.
let rmwHost: u32 = 0;
let rmwLin: u32 = 0;

@inline export function rmwRead(sz: u32): u32 {
  return mrMod == 3 ? readReg(sz, mrRm) : rmwReadMem(sz);
}

@inline export function rmwWrite(sz: u32, v: u32): void {
  if (mrMod == 3) writeReg(sz, mrRm, v);
  else rmwWriteMem(sz, v);
}

function rmwReadMem(sz: u32): u32 {
  return rmwReadAt(eaSeg, eaOff, sz);
}

/** The read of a read-modify-write of seg:off (also for compiled code); rmwWriteMem completes it. */
@inline export function rmwReadAt(seg: i32, off: u32, sz: u32): u32 {
  const lin = linWrite(seg, off, 1 << sz);
  if (faulted) return 0;
  const h = prepareWrite(lin, sz);
  if (faulted) return 0;
  rmwHost = h;
  rmwLin = lin;
  if (h != 0) return sz == 2 ? load<u32>(h) : sz == 1 ? <u32>load<u16>(h) : <u32>load<u8>(h);
  return readLin(lin, sz);
}

export function rmwWriteMem(sz: u32, v: u32): void {
  const h = rmwHost;
  if (h != 0) {
    if (sz == 2) store<u32>(h, v);
    else if (sz == 1) store<u16>(h, <u16>v);
    else store<u8>(h, <u8>v);
  } else {
    writeLin(rmwLin, sz, v);
  }
}

@inline export function vSize(): u32 {
  return opSize32 ? 2 : 1;
}

