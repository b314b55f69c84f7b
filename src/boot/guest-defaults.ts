// How the default guest is booted, apart from where its files are: shared by
// Node (default-guest.ts adds the file paths) and the browser page, which
// fetches the same files over HTTP.

/**
 * The console on COM1, and tsc=reliable. Without it, Linux's clocksource
 * watchdog judges the TSC against the jiffies-based PIT clocksource, which
 * is not a good watchdog once the PIT runs in one-shot mode, when there is
 * no HPET or ACPI PM timer (the project's kernel has no ACPI; Debian's finds
 * the PM timer in the FADT). It then marks the TSC unstable
 * (a ~1% "skew") and falls back to the PIT. QEMU shows the same with this
 * kernel, so this is the guest's configuration, not the emulated PIT.
 * Glassbox's TSC is exact by construction.
 */
export const DEFAULT_CMDLINE = 'console=ttyS0 tsc=reliable';
export const DEFAULT_MEMORY_MIB = 256;

/**
 * Linux zeroes pages as it frees them, so a snapshot leaves them out: less
 * than half the bytes for a booted guest (`glassbox snapshot create` and
 * the cached booted guests add it).
 */
export const FREED_PAGES_ZEROED = 'init_on_free=1';
