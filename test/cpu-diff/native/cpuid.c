/*
 * What the host CPU declares about itself, for test/cpu-diff/host-quirks.ts:
 * one line, "vendor family model leaf7ebx", the family and model as
 * displayed (SDM vol. 2 CPUID, leaf 1: extended family and model folded in)
 * and CPUID.(EAX=7,ECX=0):EBX in hex (0 where leaf 7 does not exist).
 * /proc/cpuinfo's flags do not list the x87 bits of leaf 7 (6: FDP_EXCPTN_ONLY,
 * 13: FCS and FDS deprecated), so the CPU is asked directly.
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    unsigned a, b, c, d;
    char vendor[13];
    __cpuid(0, a, b, c, d);
    unsigned max = a;
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    __cpuid(1, a, b, c, d);
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf) model |= ((a >> 16) & 0xf) << 4;
    unsigned leaf7ebx = 0;
    if (max >= 7) __cpuid_count(7, 0, a, leaf7ebx, c, d);
    printf("%s %u %u %x\n", vendor, family, model, leaf7ebx);
    return 0;
}
