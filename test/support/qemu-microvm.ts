// qemu-system-i386's command line for the project's guest kernel with a
// virtio-blk disk: the peer that bench:disk and the QEMU io.max test run.
// microvm has the virtio-mmio slot the kernel looks for (QEMU adds the
// virtio_mmio.device= argument itself), and the kernel has no local APIC
// support: with an APIC, microvm never passes the 8259's timer on through
// LINT0, so the CPU is a Pentium II without one, and the 8259, PIT and RTC
// are asked for.

import { DEFAULT_INITRD, DEFAULT_KERNEL } from '../../src/boot/default-guest.ts';

export interface MicrovmDisk {
  /** A raw disk image, opened without the host's page cache. */
  disk: string;
  memoryMiB: number;
  append: string;
}

/** The arguments; the console is on stdio, and a reboot (a panic with panic=-1) ends QEMU. */
export function microvmDiskArgs(o: MicrovmDisk): string[] {
  return [
    ...['-M', 'microvm,acpi=off,pic=on,pit=on,rtc=on,isa-serial=on', '-accel', 'tcg', '-cpu', 'pentium2,-apic', '-m', String(o.memoryMiB)],
    ...['-nodefaults', '-display', 'none', '-no-reboot', '-serial', 'stdio'],
    ...['-kernel', DEFAULT_KERNEL, '-initrd', DEFAULT_INITRD, '-append', o.append],
    ...['-global', 'virtio-mmio.force-legacy=false'],
    ...['-drive', `file=${o.disk},if=none,id=d0,format=raw,cache=none,aio=threads`, '-device', 'virtio-blk-device,drive=d0'],
  ];
}
