/*
 * The host side of the approximation check (test/cpu-diff/approx.ts):
 * RCPPS, RCPSS, RSQRTPS and RSQRTSS on this CPU, and the exact values they
 * approximate, 1/x and 1/sqrt(x) in binary64 (DIVSD and SQRTSD, correctly
 * rounded, under MXCSR 0x1F80), for a stream of records on stdin.
 *
 * In (36 bytes): MXCSR u32 (loaded before each approximation), the source's
 * four binary32 lanes, the destination's four (the scalar forms keep lanes
 * 1-3 of it). Out (144 bytes): per form (RCPPS, RCPSS, RSQRTPS, RSQRTSS) the
 * destination's 16 bytes and MXCSR afterwards; then 1/x and 1/sqrt(x) of the
 * four source lanes as binary64.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef struct { uint32_t csr, src[4], dst[4]; } In;
typedef struct { uint32_t lanes[4], csr; } Form;
typedef struct { Form form[4]; double inv[4], invSqrt[4]; } Out;

#define APPROX(name, insn)                                                              \
  static void name(const In *in, Form *f) {                                            \
    uint32_t csr = in->csr, after;                                                     \
    __asm__ volatile("ldmxcsr %[c]\n\tmovdqu %[s], %%xmm1\n\tmovdqu %[d], %%xmm0\n\t"  \
                     insn " %%xmm1, %%xmm0\n\tmovdqu %%xmm0, %[o]\n\tstmxcsr %[a]"     \
                     : [o] "=m"(f->lanes), [a] "=m"(after)                             \
                     : [c] "m"(csr), [s] "m"(in->src), [d] "m"(in->dst)                \
                     : "xmm0", "xmm1");                                               \
    f->csr = after;                                                                    \
  }
APPROX(rcpps, "rcpps")
APPROX(rcpss, "rcpss")
APPROX(rsqrtps, "rsqrtps")
APPROX(rsqrtss, "rsqrtss")

static void exact(const In *in, Out *out) {
  uint32_t csr = 0x1f80;
  __asm__ volatile("ldmxcsr %0" : : "m"(csr));
  for (int i = 0; i < 4; i++) {
    float x;
    memcpy(&x, &in->src[i], 4);
    double d = x, one = 1.0, r, s;
    __asm__("divsd %2, %0" : "=x"(r) : "0"(one), "x"(d));
    __asm__("sqrtsd %1, %0" : "=x"(s) : "x"(d));
    __asm__("divsd %2, %0" : "=x"(s) : "0"(one), "x"(s));
    out->inv[i] = r;
    out->invSqrt[i] = s;
  }
}

static int readAll(void *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = read(0, (char *)p + got, n - got);
    if (k <= 0) return 0;
    got += (size_t)k;
  }
  return 1;
}

static int writeAll(const void *p, size_t n) {
  size_t put = 0;
  while (put < n) {
    ssize_t k = write(1, (const char *)p + put, n - put);
    if (k <= 0) return 0;
    put += (size_t)k;
  }
  return 1;
}

int main(void) {
  _Static_assert(sizeof(In) == 36 && sizeof(Out) == 144, "record layouts");
  In in;
  Out out;
  while (readAll(&in, sizeof in)) {
    rcpps(&in, &out.form[0]);
    rcpss(&in, &out.form[1]);
    rsqrtps(&in, &out.form[2]);
    rsqrtss(&in, &out.form[3]);
    exact(&in, &out);
    if (!writeAll(&out, sizeof out)) return 1;
  }
  return 0;
}
