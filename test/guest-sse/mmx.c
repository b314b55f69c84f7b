/*
 * A program that computes with MMX the way hand-vectorised code does: the
 * intrinsics of <mmintrin.h> (saturating and wrapping adds and subtracts,
 * multiplies, multiply-adds, compares, packs, unpacks, shifts, logic) over
 * random words, with EMMS between the MMX loop and the floating point that
 * follows (the x87 on i386, which shares the MM registers). Built for i386 it
 * runs in the glassbox guest; built for x86_64 (where MMX works the same) it
 * runs on the host CPU. Every result goes into a printed hash.
 */
#include <mmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SEED 0x9e3779b9u
#include "xorshift.h"

static uint64_t hash = 1469598103934665603ull;
static void mix(__m64 v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    hash = (hash ^ u) * 1099511628211ull;
}

static __m64 random64(void) { return _mm_set_pi32((int)next(), (int)next()); }

int main(void) {
    __m64 acc = _mm_setzero_si64();
    for (int i = 0; i < 20000; i++) {
        __m64 a = random64(), b = random64();
        mix(_mm_adds_pi16(a, b));
        mix(_mm_subs_pu8(a, b));
        mix(_mm_add_pi32(a, b));
        mix(_mm_mulhi_pi16(a, b));
        mix(_mm_mullo_pi16(a, b));
        mix(_mm_madd_pi16(a, b));
        mix(_mm_cmpgt_pi8(a, b));
        mix(_mm_cmpeq_pi16(a, a));
        mix(_mm_packs_pi16(a, b));
        mix(_mm_packs_pu16(a, b));
        mix(_mm_packs_pi32(a, b));
        mix(_mm_unpackhi_pi8(a, b));
        mix(_mm_unpacklo_pi16(a, b));
        mix(_mm_sll_pi16(a, _mm_cvtsi32_si64((int)(next() & 15))));
        mix(_mm_srai_pi32(a, 7));
        mix(_mm_srli_si64(a, 13));
        mix(_mm_andnot_si64(a, b));
        mix(_mm_xor_si64(a, _mm_or_si64(b, acc)));
        acc = _mm_add_pi16(acc, _mm_and_si64(a, b));
    }
    int low = _mm_cvtsi64_si32(acc);
    _mm_empty();
    /* After EMMS the x87 (i386) or SSE (x86_64) floating point is usable again. */
    volatile double d = low;
    printf("mmx %016llx %d %.3f\n", (unsigned long long)hash, low, d / 3);
    return 0;
}
