// The approximation check itself (approx.ts): it must reject what breaks the
// SDM's contract for RCPPS/RSQRTPS and accept what keeps it, whoever
// answered. The checks of glassbox and the host CPU with it are in
// test/cpu-diff.test.ts (live and from the corpus).

import { describe, expect, it } from 'vitest';
import { APPROX_FORMS, laneFault } from './approx.ts';

const [RCPPS, , RSQRTPS] = APPROX_FORMS;
const ONE = 0x3f800000;

describe('the RCPPS/RSQRTPS contract (approx.ts)', () => {
  it('accepts an approximation within 1.5 * 2^-12 and rejects one at 2^-11', () => {
    expect(laneFault(RCPPS, ONE, ONE)).toBeNull();
    expect(laneFault(RCPPS, ONE, 0x3f7ff000)).toBeNull(); // 1 - 2^-12: the AMD host's answer
    expect(laneFault(RCPPS, ONE, 0x3f7fe000)).toMatch(/relative error/); // 1 - 2^-11
    expect(laneFault(RCPPS, ONE, 0xbf800000)).toMatch(/relative error/); // the sign
    expect(laneFault(RSQRTPS, 0x40800000, 0x3f000000)).toBeNull(); // 1/sqrt(4)
    expect(laneFault(RSQRTPS, 0x40800000, 0x3f001000)).toMatch(/relative error/); // 0.5 (1 + 2^-11)
  });

  it("holds the special cases to the SDM's bits", () => {
    expect(laneFault(RCPPS, 0x80000000, 0xff800000)).toBeNull(); // 1/-0 = -inf
    expect(laneFault(RCPPS, 0x00000001, 0x7f800000)).toBeNull(); // a denormal reads as +0
    expect(laneFault(RCPPS, 0x00000001, 0x7f7fffff)).toMatch(/want 0x7f800000/);
    expect(laneFault(RCPPS, 0x7fa00000, 0x7fe00000)).toBeNull(); // an SNaN comes back quiet
    expect(laneFault(RCPPS, 0x7fa00000, 0x7fa00000)).toMatch(/want/);
    expect(laneFault(RCPPS, 0x7f000000, 0)).toBeNull(); // 2^127: tiny, flushed
    expect(laneFault(RCPPS, 0x7f000000, 0x00400000)).toMatch(/want 0x0/);
    expect(laneFault(RSQRTPS, 0xbf800000, 0xffc00000)).toBeNull(); // negative: the indefinite
    expect(laneFault(RSQRTPS, 0x80000000, 0xff800000)).toBeNull(); // -0: -inf
    expect(laneFault(RSQRTPS, 0x7f800000, 0)).toBeNull(); // +inf: +0
  });

  it("accepts either answer in RCP's band where the SDM leaves tininess to the CPU, and only there", () => {
    expect(laneFault(RCPPS, 0x7e800000, 0)).toBeNull(); // 2^126: the AMD host flushes it
    expect(laneFault(RCPPS, 0x7e800000, 0x00800000)).toBeNull(); // or 2^-126
    expect(laneFault(RCPPS, 0x7e7fe000, 0)).toMatch(/relative error/); // below the band: never tiny
  });
});
