// The PCI functions of QEMU's PC chipset, as a firmware sees them in
// configuration space: the i440FX host bridge (00:00.0, 82441FX PMC), and
// the PIIX3's ISA bridge (00:01.0) and IDE controller (00:01.1). SeaBIOS
// recognises QEMU by the host bridge's subsystem IDs (Red Hat 0x1af4,
// 0x1100), finds the shadow RAM controls (PAM) on it, and boots from the
// IDE function's legacy ports (programming interface 0: both channels in
// compatibility mode, 0x1F0/0x3F6 and 0x170/0x376, IRQ 14 and 15; QEMU's
// says 0x80, bus-master DMA, which this PC does not have: PIO only).
//
// Shadow RAM: the PAM registers (0x59-0x5F) route 0xC0000-0xFFFFF between
// DRAM and the ROM side (pam-shadow.ts, told of every write to them).

import { PAM_REGISTERS } from './pam-shadow.ts';
import { PciFunction } from './pci-bus.ts';

const INTEL = 0x8086;
/** The subsystem IDs QEMU gives its devices, which SeaBIOS checks on the host bridge. */
const QEMU_SUBSYSTEM = { subsystemVendor: 0x1af4, subsystem: 0x1100 };

/** The first PAM register (0xF0000-0xFFFFF in bits 5:4; then two 16 KiB segments per register from 0xC0000). */
export const I440FX_PAM0 = 0x59;

export class I440fxHostBridge extends PciFunction {
  /** `pamWritten` runs after a write that reached a PAM register. */
  constructor(private readonly pamWritten: () => void = () => {}) {
    super({ vendor: INTEL, device: 0x1237, revision: 0x02, classCode: 0x060000, ...QEMU_SUBSYSTEM });
    // PAM0-PAM6, and SMRAM control (0x72, closed and not locked at reset: D_OPEN off, G_SMRAME off, C_BASE_SEG 0b010).
    this.allowWrites(I440FX_PAM0, PAM_REGISTERS);
    this.allowWrites(0x72, 1);
    this.config[0x72] = 0x02;
  }

  override write(offset: number, size: number, value: number): void {
    super.write(offset, size, value);
    if (offset < I440FX_PAM0 + PAM_REGISTERS && offset + size > I440FX_PAM0) this.pamWritten();
  }

  /** PAM0-PAM6 as the firmware last wrote them. */
  get pam(): Uint8Array {
    return this.config.subarray(I440FX_PAM0, I440FX_PAM0 + PAM_REGISTERS);
  }
}

export class Piix3IsaBridge extends PciFunction {
  constructor() {
    super({ vendor: INTEL, device: 0x7000, revision: 0x00, classCode: 0x060100, multiFunction: true, ...QEMU_SUBSYSTEM });
    // The device-specific registers (PIRQ routing at 0x60-0x63, top of memory, ...) hold what the firmware writes.
    this.allowWrites(0x40, 0xc0);
    // PIRQA-D routed nowhere at reset (bit 7: disabled).
    this.config.fill(0x80, 0x60, 0x64);
  }
}

export class Piix3Ide extends PciFunction {
  constructor() {
    super({ vendor: INTEL, device: 0x7010, revision: 0x00, classCode: 0x010100, ...QEMU_SUBSYSTEM });
    // IDE timing (0x40-0x43; bit 15 of each word enables the channel's decode) and slave timing (0x44).
    this.allowWrites(0x40, 5);
  }
}
