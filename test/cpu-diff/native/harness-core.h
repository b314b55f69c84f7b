/*
 * What the two native oracles share: harness.c (a 32-bit process, every
 * case as it is) and harness64.c (a 64-bit process, the cases whose
 * instruction does the same in 64-bit mode, re-encoded by long-mode.ts).
 * The case pages, their fill and hash, the presets, the record stream, the
 * dump mode, the signal set-up and the clean-up of the address space are
 * the same; each harness supplies the architecture's part before including
 * this file:
 *   - the system call numbers NR_* and sys(), the one place that enters the
 *     kernel (the seccomp filter checks its return address);
 *   - run_guest()/resume_harness, which load a case's state and come back;
 *   - on_signal(), which reads the signal context and calls record_outcome();
 *   - install_segments() (the data and TLS selectors the cases run with, in
 *     FIXED) and SEGS32_CS (the 32-bit process's code selector, which
 *     FNSAVE/FNSTENV images are translated to);
 *   - SECCOMP_ARCH_AND_SITE, the filter's checks of the architecture and
 *     the call site (seccomp_data.arch is at 4, the instruction pointer at
 *     8), which install_seccomp() puts between its first load and
 *     SECCOMP_ALLOWED_CALLS;
 *   - START_STACK, the instructions of _start that move onto main_stack and
 *     pass the kernel's stack pointer (argc, argv) to start_c.
 * Layouts and the reasons behind each safety measure: harness.c's header.
 */
#include <stddef.h>
#include <stdint.h>

#define DATA_ADDR 0x2000u
#define DATA_SIZE 0x2000u
#define STACK_ADDR 0x5000u
#define STACK_SIZE 0x1000u
#define CODE_ADDR 0x7000u
#define CODE_PAGE 0x1000u
#define CODE_MAX 20
#define PRESETS_MAX 2
#define CASE_BYTES 80
#define RESULT_BYTES 80
#define PAGE_WORDS ((DATA_SIZE + STACK_SIZE) / 4)

#define VECTOR_REFUSED 0xffffffffu /* a system call, before or during the run */
#define VECTOR_TIMEOUT 0xfffffffeu /* still running after TIMEOUT_TICKS */
#define VECTOR_BAD_CASE 0xfffffffdu /* a preset outside the case's pages */
#define RESULT_MAGIC 0x6e617476u

/* A case's EFLAGS as given: CF PF AF ZF SF DF OF and ID. IF is kept set;
 * TF, AC, NT and IOPL are never taken from a case. */
#define EFLAGS_FROM_CASE 0x200cd5u
#define EFLAGS_FIXED 0x202u

/* Endless loops: a timer on the process's user CPU time, which the kernel
 * advances a scheduler tick (4 ms at HZ=250) at a time, so it fires at most
 * once per tick whatever the interval. A case that sees two of its signals
 * has run for at least one whole tick, thousands of times longer than any
 * case that ends; scheduling delays do not count, unlike with wall time. */
#define TICK_USEC 1000
#define TIMEOUT_TICKS 2

enum { SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGVTALRM = 26, SIGSYS = 31 };
enum { EINTR = 4, EAGAIN = 11 };

long sys(long nr, long a, long b, long c, long d, long e, long f);
void sig_restorer(void);
extern char syscall_site[];
void run_guest(void);
void resume_harness(void);
static void install_segments(void);
/* The steps of run_guest that are the same in both processes, as assembler
 * text. Every case starts with the x87 registers zero and empty (FNSAVE in an
 * x87 case stores empty registers too, so nothing may carry over) and XMM0-7
 * zero; it ends by loading the case's registers with 32-bit moves (from
 * guest, the layout below) and jumping to its code. */
#define RUN_GUEST_X87_RESET "  fninit\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fninit\n"
#define RUN_GUEST_XMM0_7_ZERO                                                                 \
    "  xorps %xmm0, %xmm0\n  xorps %xmm1, %xmm1\n  xorps %xmm2, %xmm2\n  xorps %xmm3, %xmm3\n" \
    "  xorps %xmm4, %xmm4\n  xorps %xmm5, %xmm5\n  xorps %xmm6, %xmm6\n  xorps %xmm7, %xmm7\n"
#define RUN_GUEST_LOAD_AND_JUMP                                                                   \
    "  movl guest+0, %eax\n  movl guest+4, %ecx\n  movl guest+8, %edx\n  movl guest+12, %ebx\n" \
    "  movl guest+20, %ebp\n  movl guest+24, %esi\n  movl guest+28, %edi\n"                     \
    "  movl guest+16, %esp\n"                                                                    \
    "  jmp *fixed_page+8\n"

/* MXCSR as every case starts (run_guest loads it): all exceptions masked, round to nearest. */
__attribute__((used)) static const uint32_t mxcsr_default = 0x1f80;

static void sys_exit(int code) {
    for (;;) sys(NR_exit_group, code, 0, 0, 0, 0, 0);
}

/* gcc may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n) {
    unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}
void *memmove(void *d, const void *s, size_t n) {
    unsigned char *p = d;
    const unsigned char *q = s;
    if (p < q)
        while (n--) *p++ = *q++;
    else
        while (n--) p[n] = q[n];
    return d;
}

static size_t str_len(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static void write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        long n = sys(NR_write, fd, (long)p, (long)len, 0, 0, 0);
        if (n == -EINTR || n == -EAGAIN) continue;
        if (n <= 0) sys_exit(fd == 1 ? 0 : 3); /* the reader went away */
        p += n;
        len -= (size_t)n;
    }
}

static void say(const char *s) { write_all(2, s, str_len(s)); }

static char *put_hex(char *p, uint32_t v) {
    for (int i = 7; i >= 0; i--) *p++ = "0123456789abcdef"[(v >> (i * 4)) & 15];
    return p;
}

static char *put_dec(char *p, uint32_t v) {
    char tmp[10];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while (v /= 10);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s) {
    while (*s) *p++ = *s++;
    return p;
}

static void fail(const char *what, long err) {
    char msg[160], *p = msg;
    p = put_str(p, "harness: ");
    p = put_str(p, what);
    p = put_str(p, " (errno ");
    p = put_dec(p, (uint32_t)-err);
    p = put_str(p, ")\n");
    write_all(2, msg, (size_t)(p - msg));
    sys_exit(2);
}

/* ---------------------------------------------------------------- the guest */

/* EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS, as run_guest loads them. */
uint32_t guest[9];
/* What the handler needs to get the harness back, alone in a page that is
 * read-only from the first case on: a case's stray store cannot change it.
 * run_guest reads saved_sp at offset 0, code_entry at 8 and user_ds at 18. */
struct fixed_state {
    uint64_t saved_sp; /* run_guest's stack pointer, the same at every call */
    uint64_t code_entry;
    uint16_t user_cs, user_ds, tls_sel;
};
__attribute__((aligned(4096))) struct {
    struct fixed_state s;
    uint8_t pad[4096 - sizeof(struct fixed_state)];
} fixed_page = {{0, CODE_ADDR, 0, 0, 0}, {0}};
#define FIXED fixed_page.s

static uint8_t result[RESULT_BYTES];
static volatile int in_guest;
static volatile int ticks;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Outside a case, a fault is the harness's own, or a case's stray store
 * broke the harness (its flag or its stack): stop rather than loop. */
static void signal_in_harness(int sig, uint64_t ip) {
    char msg[96], *p = msg;
    p = put_str(p, "harness: signal ");
    p = put_dec(p, (uint32_t)sig);
    p = put_str(p, " in the harness itself at ip ");
    if (ip >> 32) p = put_hex(p, (uint32_t)(ip >> 32));
    p = put_hex(p, (uint32_t)ip);
    *p++ = '\n';
    write_all(2, msg, (size_t)(p - msg));
    sys_exit(3);
}

/* The vector a signal at `ip` stands for (trapno is stale for SIGSYS and
 * SIGVTALRM), or 0 when the signal is to be ignored: a timer tick during a
 * short case, or while the harness itself runs. Any other signal in the
 * harness itself ends the process. */
static int signal_vector(int sig, uint64_t ip, uint32_t trapno, uint32_t *vector, uint32_t *err) {
    if (!in_guest) {
        if (sig == SIGVTALRM) return 0;
        signal_in_harness(sig, ip);
    }
    if (sig == SIGVTALRM) {
        if (++ticks < TIMEOUT_TICKS) return 0; /* a tick during a short case: resume it untouched */
        *vector = VECTOR_TIMEOUT;
        *err = 0;
    } else if (sig == SIGSYS) {
        *vector = VECTOR_REFUSED; /* seccomp stopped a system call */
        *err = 0;
    } else {
        *vector = trapno;
    }
    return 1;
}

/* Stores a case's outcome in the result record (layout in case.ts). */
static void record_outcome(const uint32_t regs[8], uint32_t eip, uint32_t eflags, uint32_t vector, uint32_t err,
                           uint32_t cr2, const uint32_t segs[6]) {
    for (int i = 0; i < 8; i++) put32(result + i * 4, regs[i]);
    put32(result + 32, eip);
    put32(result + 36, eflags);
    put32(result + 40, vector);
    put32(result + 44, err);
    put32(result + 48, vector == 14 ? cr2 : 0);
    for (int i = 0; i < 6; i++) {
        uint16_t s = (uint16_t)segs[i];
        memcpy(result + 52 + i * 2, &s, 2);
    }
    in_guest = 0;
}

/* ---------------------------------------------------------------- case pages */

static uint32_t *const data_words = (uint32_t *)(uintptr_t)DATA_ADDR;
static uint32_t *const stack_words = (uint32_t *)(uintptr_t)STACK_ADDR;

/* fillPages() of case.ts. */
static void fill_pages(uint32_t seed) {
    uint32_t s = seed ? seed : 0x9e3779b9u;
    for (uint32_t i = 0; i < DATA_SIZE / 4; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        data_words[i] = s;
    }
    for (uint32_t i = 0; i < STACK_SIZE / 4; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        stack_words[i] = s;
    }
}

/* hashMemory() of case.ts: both hashes read the old b. */
static void hash_words(const uint32_t *w, uint32_t n, uint32_t *ha, uint32_t *hb) {
    uint32_t a = *ha, b = *hb;
    for (uint32_t i = 0; i < n; i++) {
        a = (a ^ w[i]) * 0x01000193u;
        b = ((b ^ w[i]) * 0x5bd1e995u) ^ (b >> 15);
    }
    *ha = a;
    *hb = b;
}

static void hash_pages(uint32_t *ha, uint32_t *hb) {
    *ha = 0x811c9dc5u;
    *hb = 0x12345678u;
    hash_words(data_words, DATA_SIZE / 4, ha, hb);
    hash_words(stack_words, STACK_SIZE / 4, ha, hb);
}

/* The case may have written anywhere in its code page: back to all INT3. */
static void reset_code_page(void) {
    uint32_t *p = (uint32_t *)(uintptr_t)CODE_ADDR;
    for (uint32_t i = 0; i < CODE_PAGE / 4; i++) p[i] = 0xccccccccu;
}

static int inside(uint32_t addr, uint32_t base, uint32_t size) {
    return addr >= base && addr <= base + size - 4;
}

/* Stores the presets; 0 when one would land outside the case's pages. */
static int apply_presets(const uint8_t *rec) {
    for (int i = 0; i < PRESETS_MAX; i++) {
        uint32_t addr = get32(rec + 64 + i * 8), value = get32(rec + 68 + i * 8);
        if (!addr) continue;
        if (!inside(addr, DATA_ADDR, DATA_SIZE) && !inside(addr, STACK_ADDR, STACK_SIZE)) return 0;
        memcpy((void *)(uintptr_t)addr, &value, 4);
    }
    return 1;
}

/* FNSAVE and FNSTENV store the code selector in their image, and a 64-bit
 * process's is not a 32-bit process's. Bytes 41 and 42 of a case record
 * (case.ts) give the data-page words, in u32 words from DATA_ADDR, where the
 * case's program stores such an FCS field; where the low half holds this
 * process's CS it becomes SEGS32_CS, the selector the same program stores in
 * a 32-bit process. In harness.c the two are the same. */
/* Whether an FCS field the case names was stored as 0: the FPU state went
 * through the kernel's 64-bit XSAVE between the x87 instruction and FNSAVE
 * (a preemption, not only a timer signal), which keeps no FCS or FDS. */
/* (Not on a CPU that stores FCS as 0 always, CPUID.7:EBX[13]: the case then
 * says to clear the field, byte 43 bit 3i, and a preemption changes nothing.) */
static int fcs_lost(const uint8_t *rec) {
    for (int i = 0; i < 2; i++) {
        uint32_t w = rec[41 + i];
        if (w && w < DATA_SIZE / 4 && !(rec[43] >> (3 * i) & 1) && (data_words[w] & 0xffff) == 0) return 1;
    }
    return 0;
}

/* Byte 43 of a case record (case.ts x87Hide; test/cpu-diff/x87-pointers.ts
 * says which bits and why): the x87 pointer fields of the images at the FCS
 * fields that this host's CPU stores differently from glassbox, cleared
 * before the hash on both sides. Per field i: bit 3i FCS and FDS; bits
 * 3i+1..3i+2 the mode (1: FOP unless FSW.ES; 2: FOP and FDP unless FSW.ES;
 * 3: FOP unless FSW.ES, FDP always); bit 6+i an FXSAVE image (FCS at +12). */
static void hide_x87_pointers(const uint8_t *rec) {
    for (int i = 0; i < 2; i++) {
        uint32_t w = rec[41 + i], bits = rec[43] >> (3 * i) & 7, fxsave = rec[43] >> (6 + i) & 1;
        if (!w || w < 3 || w + 2 >= DATA_SIZE / 4) continue;
        uint32_t mode = bits >> 1;
        int pending = (data_words[w - 3] >> (fxsave ? 16 : 0) & 0x80) != 0; /* FSW.ES, 12 bytes before FCS */
        if (bits & 1) {
            data_words[w] &= 0xffff0000u;     /* FCS */
            data_words[w + 2] &= 0xffff0000u; /* FDS */
        }
        if (mode && !pending) data_words[fxsave ? w - 2 : w] &= 0xffffu; /* FOP */
        if (mode == 3 || (mode == 2 && !pending)) data_words[w + 1] = 0; /* FDP */
    }
}

static void translate_fcs(const uint8_t *rec) {
    for (int i = 41; i <= 42; i++) {
        uint32_t w = rec[i];
        if (!w || w >= DATA_SIZE / 4) continue;
        if ((data_words[w] & 0xffff) == FIXED.user_cs) data_words[w] = (data_words[w] & 0xffff0000u) | SEGS32_CS;
    }
}

/* A system call at the start of the code, after any legacy prefixes. The
 * seccomp filter stops one anywhere else; this keeps it out of the kernel's
 * view entirely. */
static int is_syscall(const uint8_t *code, unsigned len) {
    unsigned i = 0;
    while (i < len) {
        uint8_t b = code[i];
        if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 || b == 0x2e ||
            b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65)
            i++;
        else
            break;
    }
    if (i + 1 >= len) return 0;
    return (code[i] == 0xcd && code[i + 1] == 0x80) || (code[i] == 0x0f && (code[i + 1] == 0x34 || code[i + 1] == 0x05));
}

/* ---------------------------------------------------------------- dump mode */

static uint32_t before[PAGE_WORDS];

static void snapshot(void) {
    for (uint32_t i = 0; i < PAGE_WORDS; i++)
        before[i] = i < DATA_SIZE / 4 ? data_words[i] : stack_words[i - DATA_SIZE / 4];
}

static void print_changes(uint32_t index) {
    char line[64], *p = line;
    p = put_str(p, "case ");
    p = put_dec(p, index);
    p = put_str(p, " vector ");
    p = put_hex(p, get32(result + 40));
    *p++ = '\n';
    write_all(2, line, (size_t)(p - line));
    for (uint32_t i = 0; i < PAGE_WORDS; i++) {
        uint32_t addr = i < DATA_SIZE / 4 ? DATA_ADDR + i * 4 : STACK_ADDR + (i - DATA_SIZE / 4) * 4;
        uint32_t after = *(uint32_t *)(uintptr_t)addr;
        if (after == before[i]) continue;
        p = line;
        p = put_str(p, "  ");
        p = put_hex(p, addr);
        p = put_str(p, ": ");
        p = put_hex(p, before[i]);
        p = put_str(p, " -> ");
        p = put_hex(p, after);
        *p++ = '\n';
        write_all(2, line, (size_t)(p - line));
    }
}

/* ---------------------------------------------------------------- set-up */

/* The kernel's sigaction and stack_t: word-sized fields on either architecture. */
struct kernel_sigaction {
    void (*handler)(int, void *, void *);
    unsigned long flags;
    void (*restorer)(void);
    uint32_t mask[2];
};
struct kernel_stack {
    void *sp;
    int flags;
    size_t size;
};
#define SA_SIGINFO 0x4u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_RESTORER 0x04000000u
#define SS_AUTODISARM 0x80000000u

void on_signal(int sig, void *info, void *ctx);
/* What the kernel calls: on_signal, unless the harness puts a step before it. */
#ifndef SIGNAL_ENTRY
#define SIGNAL_ENTRY on_signal
#endif
void SIGNAL_ENTRY(int sig, void *info, void *ctx);

/* Room for the largest signal frame (AVX-512 or AMX state); kept small like
 * every writable buffer here, since each is a target for a case's stray store. */
static uint8_t altstack[32768] __attribute__((aligned(64)));

static void install_handlers(void) {
    /* SS_AUTODISARM: the kernel always builds the frame at the top of the
     * alternate stack, even when a guest's random ESP happens to point into it. */
    struct kernel_stack ss = {altstack, (int)SS_AUTODISARM, sizeof altstack};
    long r = sys(NR_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
    if (r < 0) fail("sigaltstack failed", r);
    struct kernel_sigaction sa = {SIGNAL_ENTRY, SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_RESTORER, sig_restorer,
                                  {0xffffffffu, 0xffffffffu}};
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGVTALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        r = sys(NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0);
        if (r < 0) fail("rt_sigaction failed", r);
    }
    long timer[4] = {0, TICK_USEC, 0, TICK_USEC};
    r = sys(NR_setitimer, 1 /* ITIMER_VIRTUAL */, (long)timer, 0, 0, 0, 0);
    if (r < 0) fail("setitimer failed", r);
}

static void map_fixed(uint32_t addr, uint32_t size, int prot) {
    const int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
    long p = sys(NR_mmap, (long)addr, (long)size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p < 0 && p > -4096) fail("cannot map the case pages below 0x8000 (is vm.mmap_min_addr above 0x2000?)", p);
    if ((unsigned long)p != addr) fail("the kernel placed a case page elsewhere", 0);
}

/* The seccomp program (BPF instructions). */
struct sock_filter {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
};
#define LD(off) {0x20, 0, 0, (off)}
#define JEQ(k, jt, jf) {0x15, (jt), (jf), (k)}
#define RET(k) {0x06, 0, 0, (k)}
#define RET_KILL 0x80000000u
#define RET_TRAP 0x00030000u
#define RET_ALLOW 0x7fff0000u
/* The end of both filters, once the architecture and the call site are
 * checked: rt_sigreturn and exit_group pass, read only from fd 0, write only
 * to fd 1 and 2; anything else traps (SIGSYS: "refused"). Its sixth
 * instruction is that trap, where the checks before it jump. */
#define SECCOMP_ALLOWED_CALLS                                                                                 \
    LD(0), JEQ(NR_rt_sigreturn, 10, 0), JEQ(NR_exit_group, 9, 0), JEQ(NR_read, 2, 0), JEQ(NR_write, 3, 0), \
        RET(RET_TRAP), LD(16), JEQ(0, 4, 3), LD(16), JEQ(1, 2, 0), JEQ(2, 1, 0), RET(RET_TRAP), RET(RET_ALLOW)

static void load_seccomp(const struct sock_filter *f, unsigned short len) {
    struct {
        unsigned short len;
        const struct sock_filter *filter;
    } prog = {len, f};
    long r = sys(NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0);
    if (r < 0) fail("prctl(PR_SET_NO_NEW_PRIVS) failed", r);
    r = sys(NR_prctl, 22 /* PR_SET_SECCOMP */, 2 /* SECCOMP_MODE_FILTER */, (long)&prog, 0, 0, 0);
    if (r < 0) fail("cannot install the seccomp filter that keeps cases from making system calls", r);
}

static void install_seccomp(void) {
    struct sock_filter f[] = {LD(4), SECCOMP_ARCH_AND_SITE, SECCOMP_ALLOWED_CALLS};
    load_seccomp(f, sizeof f / sizeof f[0]);
}

#define IN_CAP (CASE_BYTES * 128)
#define OUT_CAP (RESULT_BYTES * 128)
static uint8_t in_buf[IN_CAP];
static uint8_t out_buf[OUT_CAP];
static uint32_t out_len;

static unsigned long hex_field(char **p, char end) {
    unsigned long v = 0;
    for (; **p != end; (*p)++) v = v * 16 + (unsigned long)(**p <= '9' ? **p - '0' : **p - 'a' + 10);
    return v;
}

/* Unmaps the kernel's stack and the vDSO: after this the process holds only
 * this binary (linked far from the case pages) and the case pages, so a
 * store through a random or wrapped-around address (BT with a negative bit
 * offset reaches up to 256 MiB below its base, into the top of the address
 * space where the stack lives) faults as it does in glassbox instead of
 * landing in the harness. Needs the argument strings no more. The vsyscall
 * page of a 64-bit process cannot be unmapped; it lies above 4 GiB, where
 * no 32-bit address reaches. */
static void unmap_the_rest(void) {
    char *maps = (char *)in_buf; /* free until the first case is read */
    const long cap = IN_CAP;
    long fd = sys(NR_open, (long)"/proc/self/maps", 0, 0, 0, 0, 0);
    if (fd < 0) fail("cannot read /proc/self/maps", fd);
    long len = 0, n;
    while ((n = sys(NR_read, fd, (long)(maps + len), (cap - 1 - len), 0, 0, 0)) > 0) len += n;
    sys(NR_close, fd, 0, 0, 0, 0, 0);
    maps[len] = 0;
    for (char *line = maps; *line;) {
        char *end = line;
        while (*end && *end != '\n') end++;
        char *p = line;
        unsigned long lo = hex_field(&p, '-');
        p++;
        unsigned long hi = hex_field(&p, ' ');
        char *name = end;
        while (name > line && name[-1] != ' ') name--;
        if (*name == '[' && !(name[1] == 'v' && name[2] == 's')) { /* [stack], [vdso], [vvar]; not [vsyscall] */
            long r = sys(NR_munmap, (long)lo, (long)(hi - lo), 0, 0, 0, 0);
            if (r < 0) fail("cannot unmap the kernel's stack or vDSO", r);
        }
        line = *end ? end + 1 : end;
    }
}

void stack_moved(void) {
    say("harness: run_guest was called with a different stack pointer\n");
    sys_exit(3);
}

/* ---------------------------------------------------------------- the loop */

static void flush_out(void) {
    write_all(1, out_buf, out_len);
    out_len = 0;
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n) {
    uint32_t h = 0x811c9dc5u;
    while (n--) h = (h ^ *p++) * 0x01000193u;
    return h;
}

static void run_case(const uint8_t *rec, uint32_t index, int dump) {
    unsigned len = rec[40] > CODE_MAX ? CODE_MAX : rec[40];
    memset(result, 0, sizeof result);
    fill_pages(get32(rec));
    int presets_ok = apply_presets(rec);
    if (!presets_ok || is_syscall(rec + 44, len)) {
        /* Not run: the initial state, with the reason as the vector. */
        memcpy(result, rec + 4, 32);
        put32(result + 32, CODE_ADDR);
        put32(result + 36, get32(rec + 36));
        put32(result + 40, presets_ok ? VECTOR_REFUSED : VECTOR_BAD_CASE);
        const uint16_t segs[6] = {FIXED.user_ds, FIXED.user_cs, FIXED.user_ds, FIXED.user_ds, FIXED.user_ds, FIXED.tls_sel};
        memcpy(result + 52, segs, sizeof segs);
    } else {
        /* A timer tick in the middle of a short case delivers a signal, and the
         * kernel's 64-bit XSAVE of the FPU state on the way drops FCS and FDS
         * from what FNSAVE stores next: the outcome is no longer the case's
         * own, so the case runs again from its seed (rarely more than once).
         * The same for a preemption where the case names its FCS fields. */
        for (int attempt = 0;; attempt++) {
            if (attempt) {
                fill_pages(get32(rec));
                apply_presets(rec);
            }
            reset_code_page();
            memcpy((void *)(uintptr_t)CODE_ADDR, rec + 44, len);
            memcpy(guest, rec + 4, 32);
            guest[8] = (get32(rec + 36) & EFLAGS_FROM_CASE) | EFLAGS_FIXED;
            if (dump && !attempt) snapshot();
            ticks = 0;
            in_guest = 1;
            run_guest();
            __asm__ volatile("" ::: "memory");
            if ((ticks == 0 && !fcs_lost(rec)) || get32(result + 40) == VECTOR_TIMEOUT || attempt == 8) break;
            memset(result, 0, sizeof result);
        }
        translate_fcs(rec);
        hide_x87_pointers(rec);
    }
    uint32_t ha, hb;
    hash_pages(&ha, &hb);
    put32(result + 64, ha);
    put32(result + 68, hb);
    put32(result + 72, fnv1a(rec, CASE_BYTES) ^ index);
    put32(result + 76, fnv1a(result, 76) ^ RESULT_MAGIC);
    if (dump) print_changes(index);
    if (out_len + RESULT_BYTES > OUT_CAP) flush_out();
    memcpy(out_buf + out_len, result, RESULT_BYTES);
    out_len += RESULT_BYTES;
}

static int harness_main(int argc, char **argv) {
    int dump = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2] == 'd' && a[3] == 'u' && a[4] == 'm' && a[5] == 'p' && !a[6])
            dump = 1;
        else {
            say("usage: harness [--dump] < cases > results\n");
            return 2;
        }
    }
    __asm__ volatile("movw %%cs, %0" : "=r"(FIXED.user_cs));
    unmap_the_rest();
    /* Executable too (7 = read, write, exec): a P6 has no NX, so glassbox runs code from any mapped page. */
    map_fixed(DATA_ADDR, DATA_SIZE, 7);
    map_fixed(STACK_ADDR, STACK_SIZE, 7);
    map_fixed(CODE_ADDR, CODE_PAGE, 7);
    install_segments();
    install_handlers();
    /* An empty case goes first, through the same call as every case, to fix
     * run_guest's stack pointer; then the page that holds it goes read-only
     * and the filter goes on. Its result is dropped. */
    static const uint8_t warm_up[CASE_BYTES] = {[21] = 0x58 /* ESP 0x5800 */, [36] = 0x02, [37] = 0x02};
    memcpy(in_buf, warm_up, CASE_BYTES);
    uint32_t have = CASE_BYTES, index = 0;
    int warming = 1;
    for (;;) {
        uint32_t at = 0;
        for (; at + CASE_BYTES <= have; at += CASE_BYTES) run_case(in_buf + at, index++, dump && !warming);
        memmove(in_buf, in_buf + at, have - at);
        have -= at;
        if (warming) {
            warming = 0;
            out_len = 0;
            index = 0;
            long r = sys(NR_mprotect, (long)&fixed_page, sizeof fixed_page, 1 /* PROT_READ */, 0, 0, 0);
            if (r < 0) fail("cannot make the harness's fixed state read-only", r);
            install_seccomp();
        }
        flush_out(); /* before waiting for input, so a reader waiting for results never stalls */
        long n;
        do n = sys(NR_read, 0, (long)(in_buf + have), IN_CAP - have, 0, 0, 0);
        while (n == -EINTR || n == -EAGAIN);
        if (n < 0) fail("reading the cases failed", n);
        if (n == 0) break;
        have += (uint32_t)n;
    }
    flush_out();
    if (have) {
        say("harness: the input ended inside a case record\n");
        return 2;
    }
    return 0;
}

void start_c(uintptr_t *sp) { sys_exit(harness_main((int)sp[0], (char **)(sp + 1))); }

/* The harness runs on this stack so that the kernel's can be unmapped. */
uint8_t main_stack[16384] __attribute__((aligned(16)));

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  xorl %ebp, %ebp\n" START_STACK
    "  call start_c\n"
    "  hlt\n");
