// The crash watcher and the oops decoder on a real kernel's console: Debian's
// stock 686 kernel booted in glassbox, recorded with
// `glassbox kernel run --kernel build/debian-kernel/vmlinuz-* --console`
// when that kernel still stalled here (issue 16). The faulting instruction
// is decoded against objdump's reading of the same Code: bytes.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crashesIn, KernelLogWatch } from '../../src/testing/kernel-log.ts';
import { decodeOops } from '../../src/testing/oops-decode.ts';

const log = readFileSync(join(import.meta.dirname, 'fixtures/debian-686-rcu-stall.txt'), 'utf8');

describe('kernel crash signs', () => {
  it('sees nothing in a clean boot and the RCU stall where it starts, fed in small pieces', () => {
    const watch = new KernelLogWatch();
    const cut = log.indexOf('rcu: INFO');
    for (let i = 0; i < cut; i += 7) expect(watch.feed(log.slice(i, Math.min(i + 7, cut)))).toBeUndefined();
    let crash: ReturnType<KernelLogWatch['feed']>;
    for (let i = cut; i < log.length && !crash; i += 7) crash = watch.feed(log.slice(i, i + 7));
    expect(crash?.kind).toBe('rcu-stall');
    expect(crash?.headline).toBe('rcu: INFO: rcu_preempt self-detected stall on CPU');
  });

  it('names the function the kernel stalled in and keeps its whole message', () => {
    const [first] = crashesIn(log);
    expect(first.kind).toBe('rcu-stall');
    expect(first.function).toBe('default_idle');
    expect(first.message).toContain('Possible timer handling issue on cpu=0');
  });

  it("decodes the oops' registers and marked instruction as objdump reads the same bytes", () => {
    const [first] = crashesIn(log);
    const d = decodeOops(first.message);
    expect(d.registers).toMatchObject({ EAX: 0xcd921530, ESP: 0xcdc47f2c, EFLAGS: 0x00200202, CR0: 0x80050033, SS: 0x68 });
    const code = /Code: (.*)$/m.exec(first.message)![1].trim().split(/\s+/);
    const marked = code.findIndex((t) => t.startsWith('<'));
    const bytes = Buffer.from(code.slice(marked).map((t) => parseInt(t.replace(/[<>]/g, ''), 16)));
    const dir = mkdtempSync(join(tmpdir(), 'oops-'));
    writeFileSync(join(dir, 'code.bin'), bytes);
    const objdump = execFileSync('objdump', ['-D', '-b', 'binary', '-mi386', '-Mintel', join(dir, 'code.bin')], { encoding: 'utf8' });
    const first1 = /^\s+0:\s+((?:[0-9a-f]{2} )+)\s*(.+)$/m.exec(objdump)!;
    expect(d.instruction?.bytes).toBe(first1[1].trim());
    expect(d.instruction?.text.replace(/\s+/g, ' ')).toBe(first1[2].trim().replace(/\s+/g, ' '));
  });
});
