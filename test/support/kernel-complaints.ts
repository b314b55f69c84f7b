/**
 * What a Linux kernel says when its timers, clocks or scheduling go wrong
 * (kernel/rcu/tree_stall.h, kernel/watchdog.c, kernel/time/, arch/x86/kernel/tsc.c),
 * and ACPI errors: a test's kernel log must match none of it.
 */
export const KERNEL_COMPLAINTS =
  /ACPI Error|ACPI BIOS Error|APIC calibration not consistent|rcu: INFO|rcu_preempt|self-detected stall|detected stalls|soft lockup|hard LOCKUP|hung_task|blocked for more than|timer wakeup didn't happen|Possible timer handling issue|clocksource.*unstable|Marking clocksource|TSC.*unstable|timekeeping watchdog|hrtimer: interrupt took/i;
