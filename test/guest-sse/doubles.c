/*
 * A program that computes with doubles and floats the way compiled code
 * does: built for i386 with -msse2 -mfpmath=sse it runs the SSE2 scalar and
 * packed forms (arithmetic, square roots, conversions, comparisons) in the
 * glassbox guest; built for x86_64 it runs the same operations on the host
 * CPU. Every result is printed as its bits, so the two outputs match only
 * if every operation rounded the same way.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SEED 0x12345678u
#include "xorshift.h"

static uint64_t bits64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t bits32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

/* A random double from random bits, with its exponent kept in a range where products stay finite. */
static double random_double(void) {
    uint64_t u = ((uint64_t)next() << 32) | next();
    uint64_t exp = 1023 - 60 + (next() % 120);
    return from_bits((u & 0x800fffffffffffffull) | (exp << 52));
}

static uint64_t hash = 1469598103934665603ull;
static void mix(uint64_t v) { hash = (hash ^ v) * 1099511628211ull; }

int main(void) {
    /* Scalar double arithmetic, square roots and conversions on random operands. */
    for (int i = 0; i < 20000; i++) {
        double a = random_double(), b = random_double();
        mix(bits64(a + b));
        mix(bits64(a - b));
        mix(bits64(a * b));
        mix(bits64(a / b));
        mix(bits64(sqrt(fabs(a))));
        mix(bits32((float)a));
        mix((uint32_t)(int)(a * 1e-3 > 2e9 || a * 1e-3 < -2e9 ? 0 : a * 1e-3));
        mix((uint64_t)(a < b) | (uint64_t)(a == b) << 1);
        float x = (float)a, y = (float)b;
        mix(bits32(x * y + x / (y == 0 ? 1 : y)));
        mix(bits32(sqrtf(fabsf(x))));
    }
    printf("scalar %016llx\n", (unsigned long long)hash);

    /* A dot product and a matrix product the vectoriser turns into packed forms. */
    static double m[32][32], n[32][32], p[32][32];
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++) {
            m[i][j] = random_double() * 1e-9;
            n[i][j] = (double)(int)(next() % 2001 - 1000) / 7.0;
        }
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++) {
            double s = 0;
            for (int k = 0; k < 32; k++) s += m[i][k] * n[k][j];
            p[i][j] = s;
        }
    hash = 1469598103934665603ull;
    for (int i = 0; i < 32; i++)
        for (int j = 0; j < 32; j++) mix(bits64(p[i][j]));
    printf("matrix %016llx\n", (unsigned long long)hash);

    /* Newton's square root of 2 and a harmonic sum, printed as numbers too. */
    double r = 1;
    for (int i = 0; i < 8; i++) r = (r + 2 / r) / 2;
    double h = 0;
    for (int i = 1; i <= 100000; i++) h += 1.0 / i;
    float hf = 0;
    for (int i = 1; i <= 100000; i++) hf += 1.0f / (float)i;
    printf("sqrt2 %.17g %016llx\n", r, (unsigned long long)bits64(r));
    printf("harmonic %.17g %016llx %.9g %08x\n", h, (unsigned long long)bits64(h), hf, bits32(hf));
    /* Edge values: denormals, overflow to infinity, an invalid operation, int conversions at the limits. */
    volatile double tiny = 2.2250738585072014e-308, big = 1.7976931348623157e308, zero = 0;
    printf("edges %016llx %016llx %016llx %08x %08x\n", (unsigned long long)bits64(tiny / 3),
           (unsigned long long)bits64(big * 2), (unsigned long long)bits64(zero / zero),
           (uint32_t)(int)(double)2147483647.0, (uint32_t)(int)-2147483648.0);
    return 0;
}
