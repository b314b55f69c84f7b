// The guest glassbox boots when nothing else is asked for: the kernel and
// initramfs built in guest-images/ (see guest-images/README.md).

import { projectPath } from '../paths.ts';

export const DEFAULT_KERNEL = projectPath('guest-images', 'dist', 'bzImage');
export const DEFAULT_INITRD = projectPath('guest-images', 'dist', 'initramfs.cpio.gz');
/**
 * The console on COM1, and tsc=reliable. Without it, Linux's clocksource
 * watchdog judges the TSC against the jiffies-based PIT clocksource, which
 * is not a good watchdog once the PIT runs in one-shot mode, and there is
 * no HPET or ACPI PM timer in this guest. It then marks the TSC unstable
 * (a ~1% "skew") and falls back to the PIT. QEMU shows the same with this
 * kernel, so this is the guest's configuration, not the emulated PIT.
 * Glassbox's TSC is exact by construction.
 */
export const DEFAULT_CMDLINE = 'console=ttyS0 tsc=reliable';
export const DEFAULT_MEMORY_MIB = 256;
