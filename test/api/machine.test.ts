// The Machine API on the project's guest, virtual clock: one machine booted
// once, then driven the ways a user drives it, through the console on COM1
// and the guest agent on COM2. Nothing below the API is mocked; the expected
// values come from the guest's build manifest and from the core's own CPUID
// instruction, not from this file.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/api/index.ts';
import { createCore } from '../../src/core/load-node.ts';
import { projectPath } from '../../src/paths.ts';

let m: Machine;
const powerEvents: string[] = [];
let consoleBytes = 0;

beforeAll(async () => {
  m = await Machine.create();
  m.on('power', (s) => powerEvents.push(s));
  m.serial.on('data', (b) => (consoleBytes += b.length));
  m.start();
}, 60_000);
afterAll(() => m?.stop());

/** CPUID leaves 0 and 1 as the core answers them, run in real mode on a bare core. */
function coreCpuid(leaf: number): { eax: number; ebx: number; ecx: number; edx: number } {
  const c = createCore(1 << 20);
  c.setSegment(1, { selector: 0, base: 0, limit: 0xffff, attr: 0x9b });
  c.eip = 0x7c00;
  c.ram.set([0x0f, 0xa2, 0xf4], 0x7c00); // cpuid; hlt
  c.setReg(0, leaf);
  c.run(10);
  return { eax: c.reg(0) >>> 0, ecx: c.reg(1) >>> 0, edx: c.reg(2) >>> 0, ebx: c.reg(3) >>> 0 };
}

describe('Machine on the default guest', () => {
  it('boots to the shell prompt on the console, and the guest agent says hello', async () => {
    const boot = await m.waitFor('/ # ', { timeoutMs: 120_000 });
    expect(boot).toContain('serial8250: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A');
    expect(boot).toContain('glassbox: init done');
    const hello = await m.agentReady();
    expect(hello.version).toBe(1);
    expect(consoleBytes).toBeGreaterThan(boot.length - 1);
    expect(powerEvents).not.toContain('off');
  }, 300_000);

  it('runs what is typed on the console', async () => {
    m.serial.write('echo typed-$((7*191))\n');
    // The product appears only if the guest's shell evaluated it.
    expect(await m.waitFor(/typed-1337\r?\n/)).toContain('typed-1337');
  }, 120_000);

  it('runs uname -a through the agent: the kernel the guest image was built from', async () => {
    const version = /^kernel (\S+) /m.exec(readFileSync(projectPath('guest-images', 'dist', 'MANIFEST'), 'utf8'))![1];
    const r = await m.exec('uname -a');
    expect(r).toMatchObject({ exitCode: 0, stderr: '', timedOut: false });
    expect(r.stdout).toMatch(new RegExp(`^Linux glassbox ${version.replace(/\./g, '\\.')} .* i[3-6]86 GNU/Linux\\n$`));
  }, 120_000);

  it("shows the core's CPUID in /proc/cpuinfo", async () => {
    const leaf0 = coreCpuid(0);
    const leaf1 = coreCpuid(1);
    const vendor = new TextDecoder().decode(new Uint32Array([leaf0.ebx, leaf0.edx, leaf0.ecx]));
    const r = await m.exec('cat /proc/cpuinfo');
    expect(r.exitCode).toBe(0);
    const field = (name: string) => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(r.stdout)?.[1];
    expect(field('vendor_id')).toBe(vendor);
    expect(Number(field('cpu family'))).toBe((leaf1.eax >> 8) & 0xf);
    expect(Number(field('model'))).toBe((leaf1.eax >> 4) & 0xf);
    expect(Number(field('stepping'))).toBe(leaf1.eax & 0xf);
    // Feature flags Linux derives from CPUID.1:EDX bits the core sets.
    const flags = field('flags')!.split(' ');
    const bits: [number, string][] = [
      [3, 'pse'],
      [4, 'tsc'],
      [5, 'msr'],
      [6, 'pae'],
      [8, 'cx8'],
      [13, 'pge'],
      [15, 'cmov'],
      [19, 'clflush'],
      [24, 'fxsr'],
      [23, 'mmx'],
      [25, 'sse'],
      [26, 'sse2'],
    ];
    for (const [bit, name] of bits) expect(flags.includes(name), name).toBe(((leaf1.edx >>> bit) & 1) === 1);
    expect(flags.includes('pni'), 'pni (SSE3)').toBe((leaf1.ecx & 1) === 1);
    // SEP (bit 11) Linux believes only from family 6 model 3 stepping 3 on (arch/x86/kernel/cpu/intel.c):
    // early Pentium Pros set the bit without having SYSENTER.
    const sepTrusted = ((leaf1.edx >>> 11) & 1) === 1 && (leaf1.eax & 0xfff) >= 0x633;
    expect(flags.includes('sep'), 'sep').toBe(sepTrusted);
  }, 120_000);

  it('returns exit status and stderr, and feeds stdin', async () => {
    const failing = await m.exec('echo oops >&2; exit 3');
    expect(failing).toMatchObject({ exitCode: 3, stdout: '', stderr: 'oops\n', timedOut: false });
    const counted = await m.exec('wc -c; md5sum', { stdin: 'x'.repeat(10_000) });
    expect(counted.stdout.split('\n')[0].trim()).toBe('10000');
    const piped = await m.exec('tr a-z A-Z', { stdin: 'shout\n' });
    expect(piped.stdout).toBe('SHOUT\n');
  }, 120_000);

  it('kills a command that outlives its timeout and says so', async () => {
    const r = await m.exec('echo started; sleep 30; echo finished', { timeoutMs: 2_000 });
    expect(r.timedOut).toBe(true);
    expect(r.stdout).toBe('started\n');
    expect(r.signal).toBeGreaterThan(0);
    expect(r.exitCode).toBe(128 + r.signal!);
    // The agent is still there afterwards.
    expect((await m.exec('echo alive')).stdout).toBe('alive\n');
  }, 120_000);

  it('isolates a PID namespace: ps inside sees itself as PID 1 and little else', async () => {
    const r = await m.exec('unshare --pid --fork --mount-proc ps');
    expect(r.exitCode).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    expect(rows[0][0]).toBe('1');
    expect(rows.length).toBeLessThanOrEqual(2); // PID 1 and ps itself
    // Outside, the same ps sees the whole guest: init, the agent, kernel threads.
    const outside = await m.exec('ps');
    expect(outside.stdout.trim().split('\n').length).toBeGreaterThan(5);
  }, 120_000);

  it('enforces a cgroup v2 memory limit with an OOM kill', async () => {
    const cg = '/sys/fs/cgroup/oomtest';
    const setup = await m.exec(`echo +memory > /sys/fs/cgroup/cgroup.subtree_control && mkdir -p ${cg} && echo 16M > ${cg}/memory.max && cat ${cg}/memory.max`);
    expect(setup).toMatchObject({ exitCode: 0, stdout: '16777216\n' });
    // dd's 64 MiB block is one buffer it fills from /dev/zero: four times the limit, really touched.
    const hog = await m.exec(`sh -c 'echo $$ > ${cg}/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=64M count=1'`);
    expect(hog.exitCode).toBe(128 + 9);
    expect(hog.signal).toBe(9);
    const events = await m.exec(`cat ${cg}/memory.events`);
    expect(events.stdout).toMatch(/^oom_kill [1-9]\d*$/m);
    // The kernel said why on the console.
    expect(await m.waitFor(/Memory cgroup out of memory: Killed process \d+ \(dd\)/)).toBeTruthy();
  }, 120_000);
});
