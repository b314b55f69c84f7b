// The ACPI tables that describe the machine to a kernel built with ACPI, as a
// BIOS would leave them (ACPI 6.4, chapter 5): the RSDP in the first KiB of
// the extended BIOS data area (where the kernel's search looks first), an
// RSDT and an XSDT listing the FADT and the MADT (an ACPI 2.0 RSDP, revision
// 2, gives both: a kernel that knows the XSDT takes it, an ACPI 1.0 reader
// the RSDT), the FACS and a DSDT the FADT points at.
//
// - MADT: the local APIC (ID 0), the IO-APIC (ID 0, GSI 0-23 at 0xFEC00000),
//   the PIT's IRQ 0 arriving on GSI 2 and the SCI on IRQ 9 level-triggered
//   (interrupt source overrides, as QEMU's PC says), LINT1 as NMI, and the
//   8259 pair present (PCAT_COMPAT).
// - FADT (revision 1, as QEMU's i440FX PC has): the PM registers of
//   src/devices/acpi-pm.ts with the 32-bit PM timer, no SMI port (always in
//   ACPI mode), no C2/C3 states.
// - DSDT: no devices, only _S5 (soft off), so poweroff goes through PM1 control.
// - HPET (IA-PC HPET specification 1.0a, 3.2.4): src/devices/hpet.ts's
//   event timer block at 0xFED00000.
//
// All of it fits the EBDA's 1 KiB at 0x9FC00, which the e820 map reserves.

import { IOAPIC_BASE } from '../devices/io-apic.ts';
import { LAPIC_BASE } from '../devices/local-apic.ts';
import { HPET_BASE, HPET_ID } from '../devices/hpet.ts';

/** The smallest periodic tick the table promises to work, in counts (QEMU's PC says 128: 1.28 µs at 100 MHz). */
const HPET_MIN_TICK = 128;
import { PM1_CNT, PM1_EVT, PM_TMR, SLP_TYP_SOFT_OFF } from '../devices/acpi-pm.ts';

/** The extended BIOS data area: its segment is the BIOS data area's word at 0x40E. */
export const EBDA = 0x9fc00;
const EBDA_POINTER = 0x40e;
export const SCI_IRQ = 9;

const OEM_ID = 'GLSBOX';
const OEM_TABLE_ID = 'GLASSBOX';

/** Writes the tables into guest RAM and points the BIOS data area at them; returns the RSDP's address. */
export function writeAcpiTables(ram: Uint8Array): number {
  // The FACS is 64-byte aligned, as the specification requires.
  const at = { rsdp: EBDA, rsdt: EBDA + 0x30, xsdt: EBDA + 0x60, facs: EBDA + 0xc0, fadt: EBDA + 0x100, dsdt: EBDA + 0x180, madt: EBDA + 0x1c0, hpet: EBDA + 0x240 };
  const put = (addr: number, bytes: Uint8Array) => {
    if (addr + bytes.length > EBDA + 0x400) throw new Error(`ACPI table at 0x${addr.toString(16)} runs past the EBDA`);
    ram.set(bytes, addr);
  };
  put(at.dsdt, table('DSDT', 1, softOff()));
  put(at.facs, facs());
  put(at.fadt, table('FACP', 1, fadtBody(at.facs, at.dsdt)));
  put(at.madt, table('APIC', 1, madtBody()));
  put(at.hpet, table('HPET', 1, hpetBody()));
  put(at.rsdt, table('RSDT', 1, words(at.fadt, at.madt, at.hpet)));
  put(at.xsdt, table('XSDT', 1, quads(at.fadt, at.madt, at.hpet)));
  put(at.rsdp, rsdp(at.rsdt, at.xsdt));
  new DataView(ram.buffer, ram.byteOffset).setUint16(EBDA_POINTER, EBDA >> 4, true);
  return at.rsdp;
}

/** A byte builder with little-endian fields. */
class Bytes {
  private readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u16(v).u16(v >>> 16);
  }
  text(s: string, width = s.length): this {
    for (let i = 0; i < width; i++) this.u8(i < s.length ? s.charCodeAt(i) : 0x20);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.u8(0);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** Sets byte `at` so that all bytes sum to zero (mod 256). */
function checksum(b: Uint8Array, at: number, length = b.length): Uint8Array {
  b[at] = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += b[i];
  b[at] = -sum & 0xff;
  return b;
}

/** A table: the 36-byte system description header, then the body. */
function table(signature: string, revision: number, body: Uint8Array): Uint8Array {
  const head = new Bytes()
    .text(signature)
    .u32(36 + body.length)
    .u8(revision)
    .u8(0)
    .text(OEM_ID, 6)
    .text(OEM_TABLE_ID, 8)
    .u32(1)
    .text('GBOX')
    .u32(1)
    .done();
  const b = new Uint8Array(36 + body.length);
  b.set(head);
  b.set(body, 36);
  return checksum(b, 9);
}

function words(...addrs: number[]): Uint8Array {
  const b = new Bytes();
  for (const a of addrs) b.u32(a);
  return b.done();
}

/** 64-bit table addresses, as the XSDT lists them (all below 4 GiB here). */
function quads(...addrs: number[]): Uint8Array {
  const b = new Bytes();
  for (const a of addrs) b.u32(a).u32(0);
  return b.done();
}

/**
 * ACPI 2.0 RSDP (revision 2, 36 bytes): the 1.0 part (signature, checksum over
 * its 20 bytes, OEM ID, revision, the RSDT's address), then its length, the
 * XSDT's 64-bit address and a checksum over all 36 bytes.
 */
function rsdp(rsdt: number, xsdt: number): Uint8Array {
  const b = new Bytes().text('RSD PTR ').u8(0).text(OEM_ID, 6).u8(2).u32(rsdt).u32(36).u32(xsdt).u32(0).u8(0).zeros(3).done();
  checksum(b, 8, 20);
  return checksum(b, 32);
}

/** The firmware ACPI control structure: no waking vector, no global lock owner. */
function facs(): Uint8Array {
  return new Bytes().text('FACS').u32(64).u32(0).u32(0).u32(0).u32(0).zeros(40).done();
}

/** FADT revision 1 after the header (116 bytes in all). */
function fadtBody(facsAt: number, dsdtAt: number): Uint8Array {
  const b = new Bytes()
    .u32(facsAt)
    .u32(dsdtAt)
    .u8(1) // INT_MODEL: APIC (ACPI 1.0)
    .u8(0) // preferred PM profile: unspecified
    .u16(SCI_IRQ)
    .u32(0) // SMI_CMD: none, the machine is always in ACPI mode
    .u8(0)
    .u8(0)
    .u8(0)
    .u8(0) // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
    .u32(PM1_EVT)
    .u32(0)
    .u32(PM1_CNT)
    .u32(0)
    .u32(0)
    .u32(PM_TMR)
    .u32(0)
    .u32(0) // PM1a/b event, PM1a/b control, PM2, PM timer, GPE0/1
    .u8(4)
    .u8(2)
    .u8(0)
    .u8(4)
    .u8(0)
    .u8(0)
    .u8(0)
    .u8(0) // their lengths; GPE1 base; CST_CNT
    .u16(101)
    .u16(1001) // C2 and C3 latencies above the maximum: no C2, no C3
    .u16(0)
    .u16(0)
    .u8(0)
    .u8(0) // flush size and stride, duty cycle offset and width
    .u8(0)
    .u8(0)
    .u8(0x32) // RTC day and month alarms: none; the CMOS century byte
    .u16(0)
    .u8(0) // IAPC_BOOT_ARCH (reserved in revision 1), reserved
    .u32((1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 8)); // WBINVD, C1 on all CPUs, power and sleep buttons not fixed features, 32-bit PM timer
  if (b.length !== 116 - 36) throw new Error(`FADT body is ${b.length} bytes, not 80`);
  return b.done();
}

/** MADT after the header: the local APIC address and flags, then the interrupt structures. */
function madtBody(): Uint8Array {
  return new Bytes()
    .u32(LAPIC_BASE)
    .u32(1) // PCAT_COMPAT: the 8259 pair is there too
    .u8(0)
    .u8(8)
    .u8(0)
    .u8(0)
    .u32(1) // processor local APIC: processor 0, APIC ID 0, enabled
    .u8(1)
    .u8(12)
    .u8(0)
    .u8(0)
    .u32(IOAPIC_BASE)
    .u32(0) // IO-APIC: ID 0, GSI base 0
    .u8(2)
    .u8(10)
    .u8(0)
    .u8(0)
    .u32(2)
    .u16(0) // ISA IRQ 0 is GSI 2, bus-default polarity and trigger
    .u8(2)
    .u8(10)
    .u8(0)
    .u8(SCI_IRQ)
    .u32(SCI_IRQ)
    .u16(0xd) // the SCI: active high, level-triggered
    .u8(4)
    .u8(6)
    .u8(0xff)
    .u16(0)
    .u8(1) // local APIC NMI: every processor's LINT1
    .done();
}

/** HPET after the header: the event timer block's ID, its address (a generic address in memory space), number 0, the minimum periodic tick, no page protection. */
function hpetBody(): Uint8Array {
  return new Bytes()
    .u32(HPET_ID)
    .u8(0)
    .u8(64)
    .u8(0)
    .u8(0)
    .u32(HPET_BASE)
    .u32(0) // system memory, 64 bits wide, at HPET_BASE
    .u8(0) // HPET number
    .u16(HPET_MIN_TICK)
    .u8(0)
    .done();
}

/** The DSDT's AML: Name (_S5, Package (4) { SLP_TYP, SLP_TYP, 0, 0 }). */
function softOff(): Uint8Array {
  return new Bytes().u8(0x08).text('_S5_').u8(0x12).u8(7).u8(4).u8(0x0a).u8(SLP_TYP_SOFT_OFF).u8(0).u8(0).u8(0).done();
}
