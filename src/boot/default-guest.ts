// The guest glassbox boots when nothing else is asked for: the kernel and
// initramfs built in guest-images/ (see guest-images/README.md).

import { projectPath } from '../paths.ts';

export const DEFAULT_KERNEL = projectPath('guest-images', 'dist', 'bzImage');
export const DEFAULT_INITRD = projectPath('guest-images', 'dist', 'initramfs.cpio.gz');
/**
 * The console on COM1. tsc=reliable: the virtual TSC is exact by
 * construction, and Linux's watchdog would otherwise judge it against the
 * jiffies-based PIT clocksource (see the platform issue's note).
 */
export const DEFAULT_CMDLINE = 'console=ttyS0 tsc=reliable';
export const DEFAULT_MEMORY_MIB = 256;
