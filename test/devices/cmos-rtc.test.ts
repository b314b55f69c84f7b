// The MC146818 RTC and CMOS as a PC's firmware and Linux read them.

import { describe, expect, it } from 'vitest';
import { CmosRtc } from '../../src/devices/cmos-rtc.ts';

const at = (iso: string) => Date.parse(iso) / 1000;

function reg(rtc: CmosRtc, r: number): number {
  rtc.write(0x70, 1, r);
  return rtc.read(0x71, 1);
}

describe('CMOS RTC', () => {
  it('reads the clock time in BCD, 24-hour, as Linux expects by default', () => {
    const rtc = new CmosRtc(() => at('2026-11-22T19:04:59Z'), 64 << 20);
    expect(reg(rtc, 0x00)).toBe(0x59);
    expect(reg(rtc, 0x02)).toBe(0x04);
    expect(reg(rtc, 0x04)).toBe(0x19);
    expect(reg(rtc, 0x07)).toBe(0x22);
    expect(reg(rtc, 0x08)).toBe(0x11);
    expect(reg(rtc, 0x09)).toBe(0x26);
    expect(reg(rtc, 0x32)).toBe(0x20);
    expect(reg(rtc, 0x0d) & 0x80).toBe(0x80);
  });

  it('switches to binary and 12-hour through register B', () => {
    const rtc = new CmosRtc(() => at('2026-11-22T19:04:59Z'), 64 << 20);
    rtc.write(0x70, 1, 0x0b);
    rtc.write(0x71, 1, 0x04); // binary, 12-hour
    expect(reg(rtc, 0x04)).toBe(0x80 | 7);
    expect(reg(rtc, 0x00)).toBe(59);
  });

  it('follows the machine clock', () => {
    let t = at('2026-01-01T00:00:00Z');
    const rtc = new CmosRtc(() => t, 64 << 20);
    t += 61;
    expect(reg(rtc, 0x00)).toBe(0x01);
    expect(reg(rtc, 0x02)).toBe(0x01);
  });

  it('reports memory sizes in the NVRAM bytes of the PC convention', () => {
    const rtc = new CmosRtc(() => 0, 64 << 20);
    expect(reg(rtc, 0x15) | (reg(rtc, 0x16) << 8)).toBe(640);
    expect(reg(rtc, 0x30) | (reg(rtc, 0x31) << 8)).toBe(63 * 1024);
    expect(reg(rtc, 0x34) | (reg(rtc, 0x35) << 8)).toBe((64 - 16) * 16);
  });

  it('masks NMI with bit 7 of the index port, and keeps NVRAM writes', () => {
    const rtc = new CmosRtc(() => 0, 64 << 20);
    rtc.write(0x70, 1, 0x80 | 0x40);
    expect(rtc.nmiMasked).toBe(true);
    rtc.write(0x71, 1, 0x5a);
    rtc.write(0x70, 1, 0x40);
    expect(rtc.nmiMasked).toBe(false);
    expect(rtc.read(0x71, 1)).toBe(0x5a);
  });
});
