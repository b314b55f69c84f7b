// A PC that starts at the reset vector with a BIOS (or a test ROM) instead
// of a loaded kernel: the ROM at the top of 4 GiB and below 1 MiB, RAM
// under the BIOS area for it to shadow itself into, and the parts of QEMU's
// PC a BIOS such as SeaBIOS looks for (src/devices: the PCI bus with the
// i440FX and PIIX3 functions and the i440FX's shadow RAM controls, fw_cfg, the IDE disk, the debug console at
// 0x402 that SeaBIOS writes its log to), and the POST code port CPU test
// ROMs use besides 0x80 (0x190).

import type { Core, CoreHost } from '../core/core.ts';
import { checkRom, romBase, romSideBelow1M, RomWindow } from '../boot/firmware-rom.ts';
import { AtaDisk, ATA_IRQ } from '../devices/ata-disk.ts';
import { DebugConsole } from '../devices/debug-console.ts';
import { FwCfg } from '../devices/fw-cfg.ts';
import { I440fxHostBridge, Piix3Ide, Piix3IsaBridge } from '../devices/i440fx.ts';
import { PamShadow, SHADOW_BASE, SHADOW_BYTES } from '../devices/pam-shadow.ts';
import { PciBus } from '../devices/pci-bus.ts';
import { PostCodePort, TEST_ROM_POST_PORT } from '../devices/post-code-port.ts';
import type { BlockBackend } from '../devices/virtio/blk.ts';
import { PcMachine } from './machine.ts';

/** SeaBIOS's debug port on QEMU (its CONFIG_DEBUG_IO). */
export const BIOS_DEBUG_PORT = 0x402;

export interface FirmwareOptions {
  /** The ROM image's bytes and its name for errors (a file's path). */
  rom: Uint8Array;
  romName: string;
  memoryMiB: number;
  /** The hard disk on the primary IDE channel (device 0), if any. */
  disk?: BlockBackend;
  /** A byte the guest wrote to COM1. */
  serial?(byte: number): void;
  /** A byte of the BIOS's debug log (port 0x402). */
  biosLog?(byte: number): void;
  /** A POST code written to port 0x80, or to 0x190 (test ROMs' port) with `port` 0x190. */
  postCode?(code: number, port: number): void;
  /** A host error behind a disk command the guest saw fail. */
  diskError?(why: string): void;
  /** Moves waiting host input into the devices (PcMachine's hook). */
  pumpInput?(): boolean;
}

/** The PC with `opts.rom` at the reset vector, powered on but not yet run. */
export function firmwareMachine(create: (bytes: number, host: Partial<CoreHost>) => Core, opts: FirmwareOptions): PcMachine {
  const rom = checkRom(opts.rom, opts.romName);
  const bytes = opts.memoryMiB * 1048576;
  let ata: AtaDisk | undefined;
  const pc: PcMachine = new PcMachine(
    (h) => create(bytes, h),
    bytes,
    {
      serial: (port, byte) => port === 0 && opts.serial?.(byte),
      postCode: (code) => opts.postCode?.(code, 0x80),
      pumpInput: opts.pumpInput,
      // A reset starts the BIOS again from its image, as the chipset's PAM registers go back to reading the ROM.
      reset: () => {
        pci.reset();
        shadow.update();
        ata?.reset();
      },
    },
    { shadowRam: true },
  );
  pc.mmio.claim(romBase(rom), rom.length, new RomWindow(rom), 'BIOS ROM');
  const log = new DebugConsole(BIOS_DEBUG_PORT, (b) => opts.biosLog?.(b));
  log.attach(pc.bus, 'BIOS debug port');
  pc.state.add('bios-debug', log);

  const testPost = new PostCodePort((code) => opts.postCode?.(code, TEST_ROM_POST_PORT));
  testPost.attach(pc.bus);
  pc.state.add('post-0x190', testPost);

  const pci = new PciBus(() => pc.requestReset());
  pci.attach(pc.bus);
  pc.state.add('pci', pci);
  const hostBridge = new I440fxHostBridge(() => shadow.update());
  const shadow = new PamShadow(pc.core, romSideBelow1M(rom), () => hostBridge.pam);
  pc.mmio.claim(SHADOW_BASE, SHADOW_BYTES, shadow, 'shadow RAM (PAM)');
  pc.state.add('pam-shadow', shadow);
  const functions = [
    [0, 0, hostBridge],
    [1, 0, new Piix3IsaBridge()],
    [1, 1, new Piix3Ide()],
  ] as const;
  for (const [device, func, fn] of functions) {
    pci.add(device, func, fn);
    pc.state.add(`pci-00.${device}.${func}`, fn);
  }

  const fwCfg = new FwCfg(bytes);
  fwCfg.attach(pc.bus);
  pc.state.add('fw-cfg', fwCfg);

  if (opts.disk) {
    ata = new AtaDisk(opts.disk, (high) => pc.setIrq(ATA_IRQ, high), opts.diskError);
    ata.attach(pc.bus);
    pc.state.add('ata0', ata);
  }
  return pc;
}
