// Guest determinism with the translator: the project's default guest boots
// and runs a workload on the console under the virtual clock twice, once
// interpreted and once translating hot code, stepped in the same slices. The
// console output and the instruction count after every slice (so every
// interrupt lands at the same instruction), the counters, and the count at
// power-off must all be identical.

import { describe, expect, it } from 'vitest';
import { Machine, type JitMode } from '../../src/api/index.ts';

const SLICE = 25_000_000;
const BUDGET = 12_000_000_000;
const WORKLOAD =
  ['i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo looped-$i', 'cat /bin/busybox | head -c 300000 > /tmp/f; md5sum /tmp/f; gzip -c /tmp/f | wc -c', 'poweroff -f'].join(
    '\n',
  ) + '\n';

interface Trace {
  /** After each slice: instructions retired, and how much console output there was. */
  slices: string[];
  output: string;
  instructions: bigint;
  counters: string;
  jit: string;
}

async function run(jit: JitMode): Promise<Trace> {
  const m = await Machine.create({ clock: 'virtual', jit });
  let output = '';
  m.serial.on('data', (b) => (output += Buffer.from(b).toString('latin1')));
  const slices: string[] = [];
  let typed = false;
  for (let spent = 0; m.pc.power !== 'off' && spent < BUDGET; spent += SLICE) {
    m.step(SLICE);
    await new Promise((r) => setImmediate(r)); // let the console deliver
    slices.push(`${m.instructions}:${output.length}`);
    if (!typed && output.includes('/ # ')) {
      m.serial.write(WORKLOAD);
      typed = true;
    }
  }
  const c = m.pc.core;
  const counters = [c.counter('TLB_HIT'), c.counter('TLB_MISS'), c.counter('TLB_FLUSH'), c.counter('EXCEPTIONS'), ...c.exceptionsByVector()].join(',');
  return { slices, output, instructions: m.instructions, counters, jit: JSON.stringify(c.jitStats) };
}

describe('the translator keeps the guest deterministic', () => {
  it('boots the default guest and runs a workload identically interpreted and translated', async () => {
    const interp = await run('off');
    const translated = await run('on');
    expect(interp.output).toMatch(/looped-3000/);
    expect(interp.output).toMatch(/[0-9a-f]{32} {2}\/tmp\/f/);
    expect(interp.output).toMatch(/reboot: (System halted|Power down)/);
    expect(translated.output).toBe(interp.output);
    expect(translated.slices).toEqual(interp.slices);
    expect(translated.instructions).toBe(interp.instructions);
    expect(translated.counters).toBe(interp.counters);
    // The translated run did translate: a good part of the work ran in compiled code (and it says how much code it kept).
    const stats = JSON.parse(translated.jit);
    expect(stats.compiled).toBeGreaterThan(10);
    // A fifth: since CPUID reports a Pentium 4 (SEP, MMX, SSE2) the kernel's paths changed and 24 % of
    // this run is translated, down from 36 % (the forms it now takes that the translator hands to the
    // interpreter are issue 15's to find).
    expect(stats.translatedInstructions).toBeGreaterThan(Number(translated.instructions) / 5);
    console.log(`translator after the workload: ${translated.jit}`);
  }, 3_600_000);
});
