// glassbox kernel run as a kernel tester uses it: the command's output and
// status come back; a deadline, a kernel that cannot mount its userland, and
// KTAP results each end the run with their own status and a report.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { runKernel } from '../../src/testing/index.ts';
import { glassboxSync } from '../support/glassbox-cli.ts';

const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 300_000 });
// Debian's stock 686 kernel (scripts/fetch-debian-kernel.sh): KALLSYMS and magic SysRq, which ours has not.
const debianDir = join(import.meta.dirname, '../../build/debian-kernel');
const debianKernel = (() => {
  try {
    const f = readdirSync(debianDir).find((n) => n.startsWith('vmlinuz-'));
    return f && join(debianDir, f);
  } catch {
    return undefined;
  }
})();

describe('glassbox kernel run', () => {
  it('runs a command on the kernel and exits with its status, printing its output', () => {
    const r = glassbox(['kernel', 'run', '--', 'uname -r; echo err >&2; exit 5']);
    expect(r.stdout).toMatch(/^6\.1\.\d+\n$/);
    expect(r.stderr).toBe('err\n');
    expect(r.status).toBe(5);
  }, 300_000);

  it('ends a command that outlives the deadline with status 124, saying so', () => {
    const r = glassbox(['kernel', 'run', '--timeout', '40', '--', 'sleep 1000']);
    expect(r.stderr).toMatch(/no result within 40 s of guest time \(the command was still running\)/);
    expect(r.status).toBe(124);
  }, 300_000);

  it('saves the machine at the deadline with --snapshot-on-crash, and the snapshot resumes where the command was', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kernel-run-')), 'hung.snapshot');
    const r = glassbox(['kernel', 'run', '--timeout', '40', '--snapshot-on-crash', file, '--', 'echo before > /run/mark; sleep 1000']);
    expect(r.status).toBe(124);
    expect(r.stderr).toContain(`the machine as it was then is saved in ${file}; look inside with:\n  glassbox boot --snapshot ${file} --clock virtual --append `);
    const m = await Machine.create({ snapshot: readFileSync(file), clock: 'virtual' });
    try {
      m.start();
      // The mark the command left in the guest's RAM (a tmpfs) is there.
      const mark = await m.exec('cat /run/mark', { timeoutMs: 30_000 });
      expect(mark.stdout).toBe('before\n');
    } finally {
      m.stop();
    }
  }, 300_000);

  it('starts a command from the booted snapshot the first run of the same kernel left, with the same result', async () => {
    const bootCache = mkdtempSync(join(tmpdir(), 'kernel-run-cache-'));
    const cold = await runKernel({ command: 'uname -r; echo $((6*7))', timeoutMs: 120_000, bootCache });
    expect(readdirSync(bootCache).filter((f) => /^kernel-.*\.snap$/.test(f))).toHaveLength(1);
    const warm = await runKernel({ command: 'uname -r; echo $((6*7))', timeoutMs: 120_000, bootCache });
    expect(warm.outcome).toEqual(cold.outcome);
    expect(cold.outcome).toMatchObject({ how: 'exited', exitCode: 0 });
    // The cold run's console has the boot; the warm one starts after it, and takes a fraction of the guest time.
    expect(cold.console).toContain('Linux version');
    expect(warm.console).not.toContain('Linux version');
    expect(warm.guestMs).toBeLessThan(cold.guestMs / 4);
  }, 300_000);

  it('reports a kernel that panics for want of a root, with the panic and the options to check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernel-run-'));
    const junk = join(dir, 'not-an-initramfs');
    writeFileSync(junk, 'this is not a cpio archive\n'.repeat(100));
    const r = glassbox(['kernel', 'run', '--initrd', junk, '--timeout', '60', '--', 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/the kernel crashed: panic/);
    expect(r.stderr).toMatch(/Kernel panic - not syncing: VFS: Unable to mount root fs/);
    expect(r.stderr).toMatch(/CONFIG_BLK_DEV_INITRD/);
  }, 300_000);

  it('reads KTAP from the command, fails the run on a failing test and writes JUnit XML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernel-run-'));
    const junit = join(dir, 'results.xml');
    const script = "printf 'KTAP version 1\\n1..2\\nok 1 reads_proc\\nnot ok 2 writes_sys\\n'";
    const r = glassbox(['kernel', 'run', '--ktap', '--junit', junit, '--', script]);
    expect(r.stderr).toContain('ktap: 1 passed, 1 failed, 0 skipped');
    expect(r.stderr).toContain('not ok: writes_sys');
    expect(r.status).toBe(1);
    expect(readFileSync(junit, 'utf8')).toContain('<testcase name="writes_sys" classname="glassbox kernel run">');
  }, 300_000);

  it('runs each command of a list on its own fresh kernel, two at a time, and reports them as TAP in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernel-run-'));
    const list = join(dir, 'commands');
    // The first would leave a mark for the second if they shared a machine.
    writeFileSync(list, '# two runs\ntouch /tmp/mark && uname -r\ntest ! -e /tmp/mark\nexit 4\n');
    const r = glassbox(['kernel', 'run', '--each', list, '--jobs', '2']);
    const tap = r.stdout.split('\n');
    expect(tap.slice(0, 2)).toEqual(['TAP version 13', '1..3']);
    expect(tap[2]).toMatch(/^ok 1 - touch \/tmp\/mark && uname -r # [\d.]+ s guest$/);
    expect(tap[3]).toMatch(/^ok 2 - test ! -e \/tmp\/mark # /);
    expect(tap[4]).toMatch(/^not ok 3 - exit 4 # status 4, /);
    expect(r.stderr).toContain('2 passed, 1 failed');
    expect(r.status).toBe(1);
  }, 300_000);

  it.skipIf(!debianKernel)(
    "ends a run whose command crashes Debian's kernel with status 125 and a report naming the function",
    () => {
      const r = glassboxSync(['kernel', 'run', '--kernel', debianKernel!, '--timeout', '200', '--trace', '--', 'echo c > /proc/sysrq-trigger; echo survived'], {
        timeoutMs: 600_000,
      });
      expect(r.stdout).not.toContain('survived');
      expect(r.stderr).toMatch(/^glassbox: the kernel crashed: panic in sysrq_handle_crash\n/);
      expect(r.stderr).toContain('| Kernel panic - not syncing: sysrq triggered crash');
      // The trace's last records: the shell's write(2) of "c" is a system call before the crash.
      expect(r.stderr).toMatch(/last trace records:\n(?: {4}.*\n)* {4}syscall {3}eip=0x[0-9a-f]+ a=0x00000004/);
      expect(r.status).toBe(125);
    },
    600_000,
  );
});
