// A real SSE2 program in the guest: doubles.c built for i386 with
// `gcc -m32 -static -O2 -msse2 -mfpmath=sse` (its arithmetic, square roots,
// conversions and comparisons are SSE2 scalar and packed forms, which the
// test checks in its disassembly) runs in the glassbox guest, and its output
// must be the same, bit for bit, as the same source built for x86_64 (where
// doubles are SSE2 as well) and run on the host CPU: the oracle. Two copies
// at once must print it too (the kernel keeps each task's XMM state), and the
// kernel says it saves that state with FXSAVE.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';

const SOURCE = join(import.meta.dirname, 'doubles.c');

describe('an SSE2 program in the guest', () => {
  it('prints what the same program prints on the host CPU', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-sse2-'));
    const guestBinary = join(dir, 'doubles32');
    const hostBinary = join(dir, 'doubles64');
    execFileSync('gcc', ['-m32', '-static', '-O2', '-msse2', '-mfpmath=sse', '-fno-math-errno', '-o', guestBinary, SOURCE, '-lm']);
    execFileSync('gcc', ['-O2', '-fno-math-errno', '-o', hostBinary, SOURCE, '-lm']);
    // The i386 build really computes with SSE2 (not the x87).
    const main = execFileSync('objdump', ['--disassemble=main', guestBinary], { encoding: 'utf8' });
    for (const op of ['mulsd', 'divsd', 'sqrtsd', 'cvtsi2sd', 'cvttsd2si', 'comisd', 'mulpd', 'addpd']) expect(main).toContain(op);
    const expected = execFileSync(hostBinary, { encoding: 'utf8' });

    const machine = await bootDefaultGuest();
    // The static binary is larger than one agent request: it goes over in pieces.
    const binary = new Uint8Array(readFileSync(guestBinary));
    const PIECE = 60_000;
    for (let at = 0; at < binary.length; at += PIECE) {
      const put = await machine.exec(`cat ${at ? '>>' : '>'} /tmp/doubles`, { stdin: binary.subarray(at, at + PIECE) });
      expect(put.exitCode).toBe(0);
    }
    await machine.exec('chmod +x /tmp/doubles');
    const r = await machine.exec('/tmp/doubles');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected);
    expect(r.exitCode).toBe(0);
    // Two at once: the scheduler switches between them mid-loop, so each one's XMM registers and
    // MXCSR must survive the other (Linux saves them with FXSAVE, as CPUID says FXSR and SSE).
    const both = await machine.exec('/tmp/doubles > /tmp/a & /tmp/doubles > /tmp/b; wait; cat /tmp/a /tmp/b');
    expect(both.stdout).toBe(expected + expected);
    const fpu = await machine.exec('dmesg | grep x86/fpu; grep -m1 ^flags /proc/cpuinfo');
    expect(fpu.stdout).toContain('x86/fpu: x87 FPU will use FXSAVE');
    const flags = /^flags\s*: (.*)$/m.exec(fpu.stdout)![1].split(' ');
    for (const f of ['fpu', 'mmx', 'fxsr', 'sse', 'sse2', 'pni', 'clflush']) expect(flags, f).toContain(f);
  }, 900_000);
});
