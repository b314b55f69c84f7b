// The ACPI tables the boot loader writes, read by the ACPI reference
// implementation's disassembler (iasl -d, Debian's acpica-tools): it checks
// each table's checksum and decodes every field, so the test reads the
// machine back from its output rather than from our own parser. The RSDP,
// which iasl does not take, is found the way the kernel finds it: through the
// BIOS data area's EBDA pointer, by signature and checksum.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAcpiTables } from '../../src/boot/acpi-tables.ts';

function hasIasl(): boolean {
  try {
    execFileSync('iasl', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'glassbox-acpi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ram = new Uint8Array(1 << 20);
writeAcpiTables(ram);
const dv = new DataView(ram.buffer);
const signature = (at: number, n = 4) => String.fromCharCode(...ram.subarray(at, at + n));
const sum = (from: number, n: number) => ram.subarray(from, from + n).reduce((a, b) => a + b, 0) & 0xff;

/** The RSDP as Linux's acpi_find_root_pointer looks for it: 16-byte steps through the EBDA's first KiB. */
function findRsdp(): number {
  const ebda = dv.getUint16(0x40e, true) << 4;
  for (let at = ebda; at < ebda + 1024; at += 16) if (signature(at, 8) === 'RSD PTR ' && sum(at, 20) === 0) return at;
  throw new Error('no RSDP with a valid checksum in the EBDA');
}

/** Every table the RSDT reaches (and the FADT's FACS and DSDT), by signature. */
function tables(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const take = (at: number) => out.set(signature(at), ram.slice(at, at + dv.getUint32(at + 4, true)));
  const rsdp = findRsdp();
  const rsdt = dv.getUint32(rsdp + 16, true);
  take(rsdt);
  take(Number(dv.getBigUint64(rsdp + 24, true)));
  for (let i = 0; i < (dv.getUint32(rsdt + 4, true) - 36) / 4; i++) {
    const at = dv.getUint32(rsdt + 36 + 4 * i, true);
    take(at);
    if (signature(at) === 'FACP') [36, 40].forEach((o) => take(dv.getUint32(at + o, true)));
  }
  return out;
}

/** iasl's disassembly of one table; fails on any checksum or parse complaint. */
function disassemble(name: string, bytes: Uint8Array): string {
  const file = join(dir, `${name.toLowerCase()}.dat`);
  writeFileSync(file, bytes);
  const log = execFileSync('iasl', ['-d', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(log, `iasl on ${name}`).not.toMatch(/Incorrect|Error|Warning/i);
  const dsl = readFileSync(file.replace(/\.dat$/, '.dsl'), 'utf8');
  expect(dsl, `iasl on ${name}`).not.toMatch(/Incorrect checksum/);
  return dsl;
}

describe.skipIf(!hasIasl())('ACPI tables (iasl is missing: apt-get install acpica-tools)', () => {
  it('has an ACPI 2.0 RSDP in the EBDA the BIOS data area points at, whose RSDT and XSDT list the FADT, the MADT and the HPET table', () => {
    const t = tables();
    expect([...t.keys()].sort()).toEqual(['APIC', 'DSDT', 'FACP', 'FACS', 'HPET', 'RSDT', 'XSDT']);
    const rsdp = findRsdp();
    expect(ram[rsdp + 15]).toBe(2); // revision 2: the XSDT too
    expect(dv.getUint32(rsdp + 20, true)).toBe(36);
    expect(sum(rsdp, 36)).toBe(0); // the extended checksum
    const listed = (name: string) => [...disassemble(name, t.get(name)!).matchAll(/ACPI Table Address\s+\d+ : ([0-9A-F]+)/g)].map((m) => Number.parseInt(m[1]!, 16));
    const rsdtEntries = listed('RSDT');
    expect(rsdtEntries.map((a) => signature(a)).sort()).toEqual(['APIC', 'FACP', 'HPET']);
    expect(listed('XSDT')).toEqual(rsdtEntries);
  });

  it('describes the local APIC, the IO-APIC, IRQ 0 on GSI 2 and the SCI as level-triggered (MADT)', () => {
    const madt = disassemble('APIC', tables().get('APIC')!);
    expect(madt).toMatch(/Local Apic Address : FEE00000/);
    expect(madt).toMatch(/PC-AT Compatibility : 1/);
    expect(madt).toMatch(/\[Processor Local APIC\][\s\S]*?Local Apic ID : 00[\s\S]*?Processor Enabled : 1/);
    expect(madt).toMatch(/\[I\/O APIC\][\s\S]*?Address : FEC00000\s*\n.*Interrupt : 00000000/);
    expect(madt).toMatch(/Source : 00\s*\n.*Interrupt : 00000002/);
    expect(madt).toMatch(/Source : 09\s*\n.*Interrupt : 00000009\s*\n.*Flags.*: 000D/);
    expect(madt).toMatch(/\[Local APIC NMI\][\s\S]*?Interrupt Input LINT : 01/);
  });

  it('places the HPET at 0xFED00000 with three comparators, a 64-bit counter and legacy routing (HPET table)', () => {
    const hpet = disassemble('HPET', tables().get('HPET')!);
    expect(hpet).toMatch(/Space ID : 00 \[SystemMemory\]/);
    expect(hpet).toMatch(/Address : 00000000FED00000/);
    expect(hpet).toMatch(/Hardware Block ID : 8086A201/);
    expect(hpet).toMatch(/Minimum Clock Ticks : 0080/);
  });

  it('points the FADT at the PM registers, the 32-bit PM timer and SCI 9, and the DSDT says how to power off', () => {
    const t = tables();
    const fadt = disassemble('FACP', t.get('FACP')!);
    expect(fadt).toMatch(/SCI Interrupt : 0009/);
    expect(fadt).toMatch(/PM1A Event Block Address : 00000600/);
    expect(fadt).toMatch(/PM1A Control Block Address : 00000604/);
    expect(fadt).toMatch(/PM Timer Block Address : 00000608/);
    expect(fadt).toMatch(/PM Timer Block Length : 04/);
    expect(fadt).toMatch(/32-bit PM Timer \(V1\) : 1/);
    expect(fadt).toMatch(/SMI Command Port : 00000000/);
    disassemble('FACS', t.get('FACS')!);
    expect(disassemble('DSDT', t.get('DSDT')!)).toMatch(/Name \(_S5, Package \(0x04\)\s*\/\/[^\n]*\n\s*\{\s*0x00,\s*Zero,/);
  });
});
