// An unmodified Debian 6.1 686 kernel on the glassbox PC, in virtual-clock
// mode, with the project's initramfs: it must decompress itself, calibrate the
// TSC against the PIT, find the x87 FPU (Debian's kernel has no math
// emulation), run init and reach the BusyBox shell, where a command typed on
// COM1 computes with the FPU in user space. Two boots must be identical.
// Then the workload that showed issue 16's timer bug (a memory cgroup's OOM
// kill of a write into tmpfs, and a copy of a few MiB into tmpfs) must run at
// the kernel's own pace, with its tick at Debian's HZ and nothing in the log
// about RCU stalls, lockups or timers.
// The kernel takes its ordinary path on a PC: ACPI tables found (RSDP in the
// EBDA, MADT, FADT with the PM timer), the IO-APIC routing the ISA lines and
// the local APIC timer as its clock event, the i8042 and its keyboard, as on
// QEMU (which shows the same /proc/interrupts rows). With `noapic nolapic
// hpet=disable` it runs the same workload on the 8259 and the PIT; with the
// HPET as its clocksource it keeps time by the HPET's counter.
// Debian's kernel boots in about 6.7 billion instructions (minutes of the
// host's time): the HPET test resumes the first test's machine as it was at
// its shell, since it tests the HPET, not the boot; noapic nolapic is a boot
// of its own, since those options change the boot.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INITRD } from '../../src/boot/default-guest.ts';
import { Machine } from '../../src/api/index.ts';
import { boot, debianKernel, steppedByHand } from '../support/debian-kernel.ts';
import { KERNEL_COMPLAINTS } from '../support/kernel-complaints.ts';

/** Debian's linux-image-686 config: CONFIG_HZ=250. */
const DEBIAN_HZ = 250;

/** The default boot at its shell, before anything was typed there, and what its console printed on the way. */
interface AtShell {
  m: Machine;
  log: string;
}

/** A machine as `a` is now, and its console so far: resumed from a snapshot, so that it shares nothing with `a`, which runs on. */
async function atShellOf(a: Awaited<ReturnType<typeof boot>>, kernel: Uint8Array, initrd: Uint8Array): Promise<AtShell> {
  return { m: await Machine.create({ snapshot: await a.m.snapshot(), kernel, initrd }), log: a.output() };
}

describe('Debian kernel boot', () => {
  /** The first test's machine at its shell, for the tests of what the booted kernel does. */
  let atShell: AtShell | undefined;

  it('boots an unmodified Debian kernel to the shell and computes with the FPU, the same way twice', async () => {
    const kernel = debianKernel();
    const initrd = new Uint8Array(readFileSync(DEFAULT_INITRD));
    const a = await boot(kernel, initrd);
    const b = await boot(kernel, initrd);
    // Determinism: identical runs for the first billion instructions (through the FPU setup).
    for (let i = 0; i < 20; i++) {
      a.m.step(50_000_000);
      b.m.step(50_000_000);
    }
    expect(b.m.instructions).toBe(a.m.instructions);
    expect(b.m.pc.core.eip).toBe(a.m.pc.core.eip);
    expect(b.output()).toBe(a.output());
    const out = a.waitFor(/\/ # /, 0, 10_000_000_000);
    atShell = await atShellOf(a, kernel, initrd);
    expect(out).toMatch(/Linux version 6\.1\.0-\d+-686 .*Debian/);
    expect(out).toContain('tsc: Fast TSC calibration using PIT');
    // The virtual CPU retires 100 million instructions per virtual second; Linux's quick PIT
    // calibration promises 500 ppm (arch/x86/kernel/tsc.c), so it must find 100 MHz within 0.05.
    const mhz = Number(/tsc: Detected (\d+\.\d+) MHz processor/.exec(out)?.[1]);
    expect(Math.abs(mhz - 100)).toBeLessThan(0.05);
    expect(out).not.toContain('no FPU found');
    expect(out).toContain('x86/fpu: x87 FPU will use FXSAVE'); // CPUID says FXSR
    expect(out).toMatch(/glassbox: init done .*kernel 6\.1\.0-\d+-686/);
    // Half of this boot (about 3.1 billion instructions) is the kernel's own crypto self-tests,
    // Diffie-Hellman over the RFC 7919 groups in mpi_powm: known-answer tests of the integer core
    // on big-number arithmetic. Any that failed would have said so.
    expect(out).toContain('alg: self-tests for CTR-KDF (hmac(sha256)) passed');
    expect(out).not.toMatch(/alg: .*fail/i);
    // User space floating point through the x87: BusyBox awk computes in double
    // (this build has no math functions, so plain arithmetic only).
    const mark = a.output().length;
    const typed = 'awk \'BEGIN { printf "%.12f %d %.17g\\n", 355 / 113, int(1e9 / 7), 0.1 + 0.2 }\'; grep ^fpu /proc/cpuinfo\n';
    a.m.serial.write(typed);
    const reply = a.waitFor(/fpu_exception\s*: yes/, mark, 1_000_000_000);
    expect(reply).toContain('3.141592920354 142857142 0.30000000000000004');
    expect(reply).toMatch(/^fpu\s*: yes/m);

    // The ACPI tables, the IO-APIC and the local APIC, found and used as on QEMU's PC.
    // An ACPI 2.0 RSDP (36 bytes): the kernel takes the XSDT (its header and three entries: FADT, MADT, HPET), and finds the MADT through it.
    expect(out).toContain('ACPI: RSDP 0x000000000009FC00 000024 (v02 GLSBOX)');
    expect(out).toMatch(/ACPI: XSDT 0x000000000009FC60 00003C \(v01 GLSBOX GLASSBOX/);
    expect(out).toMatch(/ACPI: APIC 0x000000000009FDC0 00005A/);
    expect(out).toContain('ACPI: PM-Timer IO Port: 0x608');
    expect(out).toContain('IOAPIC[0]: apic_id 0, version 17, address 0xfec00000, GSI 0-23');
    expect(out).toContain('ACPI: INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2 dfl dfl)');
    expect(out).toContain('Enabling APIC mode:  Flat.  Using 1 I/O APICs');
    expect(out).toContain('..TIMER: vector=0x30 apic1=0 pin1=2 apic2=-1 pin2=-1');
    expect(out).toContain('ACPI: PM: (supports S0 S5)');
    expect(out).toMatch(/clocksource: acpi_pm: mask: 0xffffff /);
    // The keyboard controller, probed directly (no PNP devices in the DSDT) and its keyboard identified.
    expect(out).toContain('serio: i8042 KBD port at 0x60,0x64 irq 1');
    expect(out).toContain('input: AT Translated Set 2 keyboard');
    const { interrupts } = workload(a, 'LOC');
    expect(interrupts).toMatch(/^\s*0:\s+\d+\s+IO-APIC\s+2-edge\s+timer/m);
    expect(interrupts).toMatch(/^\s*4:\s+\d+\s+IO-APIC\s+4-edge\s+ttyS0/m);
    expect(interrupts).toMatch(/^\s*1:\s+[1-9]\d*\s+IO-APIC\s+1-edge\s+i8042/m);
    expect(interrupts).toMatch(/^lapic$/m); // the clock event device
  }, 1_800_000);

  it('finds the HPET through its ACPI table and keeps time by it once it is the clocksource', async () => {
    // What `clocksource=hpet` makes the kernel choose at boot, the name written to current_clocksource makes
    // it choose now (both set its clocksource override): the default boot's machine at its shell serves.
    const shell = atShell ?? (await bootToShell());
    // What QEMU's PC shows for its HPET (arch/x86/kernel/hpet.c, drivers/char/hpet.c).
    expect(shell.log).toContain('ACPI: HPET id: 0x8086a201 base: 0xfed00000');
    expect(shell.log).toContain('hpet0: at MMIO 0xfed00000, IRQs 2, 8, 0');
    expect(shell.log).toContain('hpet0: 3 comparators, 64-bit 100.000000 MHz counter');
    const a = steppedByHand(shell.m);
    const sleep = a.command(
      'echo hpet > /sys/devices/system/clocksource/clocksource0/current_clocksource; ' +
        'cat /sys/devices/system/clocksource/clocksource0/available_clocksource /sys/devices/system/clocksource/clocksource0/current_clocksource; ' +
        'cat /proc/uptime; sleep 1; cat /proc/uptime; echo slept-$((40+2))',
      /slept-42/,
      1_000_000_000,
    );
    expect(a.output()).toMatch(/clocksource: Switched to clocksource hpet/);
    expect(sleep.out).toMatch(/^tsc hpet acpi_pm\s*$/m);
    expect(sleep.out).toMatch(/^hpet\s*$/m);
    // sleep 1 takes a second of the guest's clock, and of the machine's.
    const [before, after] = [...sleep.out.matchAll(/^(\d+\.\d+) /gm)].map((m) => Number(m[1]));
    expect(after! - before!).toBeGreaterThan(0.99);
    expect(after! - before!).toBeLessThan(1.1);
    expect(sleep.seconds).toBeGreaterThan(0.99);
    expect(sleep.seconds).toBeLessThan(1.2);
    const { interrupts } = workload(a, 'LOC');
    expect(interrupts).toMatch(/^lapic$/m);
  }, 1_800_000);

  it('runs the same workload on the 8259 and the PIT with noapic nolapic hpet=disable', async () => {
    // Without hpet=disable the HPET's legacy routing would take IRQ 0 from the PIT, as on QEMU.
    const a = await boot(debianKernel(), new Uint8Array(readFileSync(DEFAULT_INITRD)), 'console=ttyS0 tsc=reliable noapic nolapic hpet=disable');
    const out = a.waitFor(/\/ # /, 0, 10_000_000_000);
    expect(out).not.toContain('Enabling APIC mode');
    const { interrupts } = workload(a, '0');
    expect(interrupts).toMatch(/^\s*0:\s+\d+\s+XT-PIC\s+timer/m);
    expect(interrupts).toMatch(/^pit$/m);
  }, 1_800_000);
});

/** Debian's kernel booted to its shell by itself: when the first test, whose machine at its shell this resumes otherwise, did not run. */
async function bootToShell(): Promise<AtShell> {
  const a = await boot(debianKernel(), new Uint8Array(readFileSync(DEFAULT_INITRD)));
  a.waitFor(/\/ # /, 0, 10_000_000_000);
  return { m: a.m, log: a.output() };
}

/**
 * The workload that showed issue 16's timer bug, on a booted machine: the tick
 * (`tick`: the /proc/interrupts row that counts it) must run at Debian's HZ,
 * user space at the kernel's pace, and the log must hold no complaint.
 * Returns /proc/interrupts and the clock event device's name.
 */
function workload(a: Awaited<ReturnType<typeof boot>>, tick: string): { interrupts: string } {
  // Memory pressure in a cgroup: a write into tmpfs past memory.max=8M ends in the OOM kill.
  const oom = a.command(
    'cat /proc/uptime; mkdir /sys/fs/cgroup/t; echo 8M > /sys/fs/cgroup/t/memory.max; mkdir -p /mnt/t; mount -t tmpfs none /mnt/t; ' +
      "sh -c 'echo $$ > /sys/fs/cgroup/t/cgroup.procs; exec dd if=/dev/zero of=/mnt/t/f bs=1M count=32 2>/dev/null'; echo oom-$((136+1))-$?; grep oom_kill /sys/fs/cgroup/t/memory.events",
    /oom_kill \d+/,
    2_000_000_000,
  );
  expect(oom.out).toMatch(/oom-137-137/);
  expect(oom.out).toMatch(/oom_kill 1/);
  // A copy of 4 MiB into tmpfs, then the guest's own clock and its tick count.
  const copy = a.command(
    'rm /mnt/t/f; cat /bin/busybox /bin/busybox /bin/busybox | head -c 4194304 > /mnt/t/copy; cp /mnt/t/copy /tmp/copy; ls -l /tmp/copy; ' +
      `cat /proc/uptime; cat /proc/interrupts /sys/devices/system/clockevents/clockevent0/current_device; echo copied-$((40+2))`,
    /copied-42/,
    2_000_000_000,
  );
  expect(copy.out).toMatch(/ 4194304 /);
  // The guest's clock and its tick at Debian's HZ since the kernel's clock started.
  const uptime = Number(/^(\d+\.\d+) /m.exec(copy.out)?.[1]);
  const ticks = Number(new RegExp(`^\\s*${tick}:\\s+(\\d+)`, 'm').exec(copy.out)?.[1]);
  expect(ticks / uptime).toBeGreaterThan(DEBIAN_HZ * 0.95);
  expect(ticks / uptime).toBeLessThan(DEBIAN_HZ * 1.05);
  // What the guest prints reaches the host at once: the guest's clock (its uptime, printed
  // first thing in the first command and last thing in the second) ran as long as the
  // machine's between typing the first and seeing the second's end.
  const guestElapsed = uptime - Number(/^(\d+\.\d+) /m.exec(oom.out)?.[1]);
  expect(Math.abs(oom.seconds + copy.seconds - guestElapsed)).toBeLessThan(0.2);
  console.log(
    `debian workload: OOM ${oom.seconds.toFixed(2)} s, copy ${copy.seconds.toFixed(2)} s of guest time; ${tick === '0' ? 'IRQ 0' : tick} at ${(ticks / uptime).toFixed(1)} Hz`,
  );
  // User space at the kernel's pace: v86 runs this OOM in 0.7 s of its time, the buggy machine took 40 s.
  expect(oom.seconds).toBeLessThan(2);
  expect(copy.seconds).toBeLessThan(10);
  expect(a.output()).not.toMatch(KERNEL_COMPLAINTS);
  return { interrupts: /(CPU0[\s\S]*)copied-/.exec(copy.out)?.[1] ?? '' };
}
