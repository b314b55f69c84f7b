/*
 * The native oracle: runs differential test cases on the host CPU in 32-bit
 * user mode and reports each outcome in the record layouts of case.ts.
 *
 *   harness [--dump] < cases > results      (--dump: changed memory words on stderr)
 *   build:  gcc -m32 -O2 -static -nostdlib -ffreestanding -fno-pie -no-pie
 *           -fno-stack-protector -fno-tree-loop-distribute-patterns
 *           -Wl,-Ttext-segment=0x36d00000 -Wl,-z,noexecstack   (native.ts has the exact list)
 *
 * Why freestanding (no libc): a case may jump to, load from or store to any
 * address. Every mapping the process has besides the case pages is a place
 * where a stray jump runs real code or a stray store corrupts state. Without
 * libc the process can hold only this small binary (see unmap_the_rest), and
 * GS can carry a flat TLS descriptor (base 0, selector 0x63 as glibc gets),
 * which is what glassbox models; with glibc, GS-prefixed accesses would land
 * at glibc's TLS block instead.
 *
 * Why seccomp: a stray jump into code that makes a system call (this binary,
 * the vDSO, or an INT 0x80 the case writes into its own page) must not reach
 * the kernel. The filter allows system calls only from the one INT 0x80 in
 * sys() below and only the few this loop needs (read fd 0, write fd 1 and 2,
 * rt_sigreturn, exit_group); anything else becomes SIGSYS, reported as
 * vector 0xffffffff ("refused").
 *
 * Every case ends in a signal: the INT3 sled after the instruction or the
 * instruction's own exception. The handler (on an alternate stack, so the
 * guest's ESP does not matter) copies the state out of the signal context,
 * then rewrites that context so sigreturn resumes the harness loop with the
 * harness's own ESP and selectors, and a reset FPU. Nothing in the handler
 * depends on the guest's segments, stack or flags.
 *
 * What Linux puts in the signal context (reported raw; compare.ts and
 * glassbox.ts account for it):
 *  - trapno is the CPU vector; err is the CPU error code. #DE is SIGFPE,
 *    #UD SIGILL, #BP and #DB SIGTRAP, #NP/#SS/#AC SIGBUS, #GP/#PF/#OF/#BR
 *    SIGSEGV.
 *  - EFLAGS is the image the CPU pushed: for faults (not the traps #DB, #BP,
 *    #OF) RF (bit 16) is set. TF is never set by the harness; a case that
 *    sets it with POPF ends in #DB (vector 1) after the next instruction.
 *  - EIP after INT3 (or INT 3 / INTO) points past the instruction; for a
 *    fault it points at the faulting instruction.
 *  - A #PF reports the hardware error code (bit 2 U=1 always, bit 1 W, bit 4
 *    for an instruction fetch from a non-executable or absent page) and the
 *    address in cr2 (the same as si_addr). cr2 in the context is stale for
 *    other signals, so the fault address is reported only for vector 14.
 *  - INT n through a gate this kernel keeps at DPL 0 (every vector but 3, 4
 *    and 0x80) is #GP with error code n*8+2 (IDT, EXT=0).
 *  - Privileged or IOPL-sensitive instructions (HLT, CLI, IN...) are #GP(0).
 *    With UMIP on the host, the kernel emulates SGDT/SIDT/SMSW/SLDT/STR for
 *    32-bit processes and returns made-up values instead of faulting.
 *
 * Integrity: bytes 72..79 of each result (spare in case.ts) carry
 * FNV-1a(case record) ^ its index in the stream, and FNV-1a(result bytes
 * 0..75) ^ RESULT_MAGIC. native.ts checks both, so a stream out of step, or a
 * case record or result that a stray store changed while it sat in a buffer,
 * fails loudly instead of giving a wrong answer.
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

enum {
    NR_exit_group = 252, NR_read = 3, NR_write = 4, NR_mmap2 = 192, NR_rt_sigaction = 174,
    NR_rt_sigreturn = 173, NR_sigaltstack = 186, NR_setitimer = 104, NR_prctl = 172,
    NR_set_thread_area = 243, NR_open = 5, NR_close = 6, NR_munmap = 91, NR_mprotect = 125,
};
enum { SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGVTALRM = 26, SIGSYS = 31 };
enum { EINTR = 4, EAGAIN = 11 };

/* ---------------------------------------------------------------- system calls */

long sys(long nr, long a, long b, long c, long d, long e, long f);
void sig_restorer(void);
extern char syscall_site[];

/* The one place that enters the kernel (the seccomp filter checks the return
 * address). The signal restorer reuses it. */
__asm__(
    ".text\n"
    ".globl sys\n"
    "sys:\n"
    "  pushl %ebp\n  pushl %edi\n  pushl %esi\n  pushl %ebx\n"
    "  movl 20(%esp), %eax\n  movl 24(%esp), %ebx\n  movl 28(%esp), %ecx\n"
    "  movl 32(%esp), %edx\n  movl 36(%esp), %esi\n  movl 40(%esp), %edi\n"
    "  movl 44(%esp), %ebp\n"
    "enter_kernel:\n"
    "  int $0x80\n"
    ".globl syscall_site\n"
    "syscall_site:\n"
    "  popl %ebx\n  popl %esi\n  popl %edi\n  popl %ebp\n"
    "  ret\n"
    ".globl sig_restorer\n"
    "sig_restorer:\n"
    "  movl $173, %eax\n"
    "  jmp enter_kernel\n");

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
 * Offsets are used by run_guest: saved_esp 0, code_entry 4, user_ds 10. */
struct fixed_state {
    uint32_t saved_esp; /* run_guest's ESP, the same at every call */
    uint32_t code_entry;
    uint16_t user_cs, user_ds, tls_sel;
};
__attribute__((aligned(4096))) struct {
    struct fixed_state s;
    uint8_t pad[4096 - sizeof(struct fixed_state)];
} fixed_page = {{0, CODE_ADDR, 0, 0, 0}, {0}};
#define FIXED fixed_page.s

void stack_moved(void);

void run_guest(void);
void resume_harness(void);

/* Loads the case's selectors, flags and registers and jumps to the code page;
 * the signal handler comes back at resume_harness on run_guest's frame. */
__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  pushl %ebp\n  pushl %edi\n  pushl %esi\n  pushl %ebx\n"
    "  cmpl $0, fixed_page\n"
    "  jne 1f\n"
    "  movl %esp, fixed_page\n"
    "1:\n"
    "  cmpl %esp, fixed_page\n"
    "  jne stack_moved\n"
    /* Every case starts with the x87 registers zero and empty: FNSAVE in an
     * x87 case stores empty registers too, so nothing may carry over. */
    "  fninit\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fldz\n  fninit\n"
    "  movw fixed_page+10, %ax\n"
    "  movw %ax, %ds\n  movw %ax, %es\n  movw %ax, %fs\n  movw %ax, %ss\n"
    "  pushl guest+32\n"
    "  popfl\n"
    "  movl guest+0, %eax\n  movl guest+4, %ecx\n  movl guest+8, %edx\n  movl guest+12, %ebx\n"
    "  movl guest+20, %ebp\n  movl guest+24, %esi\n  movl guest+28, %edi\n"
    "  movl guest+16, %esp\n"
    "  jmp *fixed_page+4\n"
    ".globl resume_harness\n"
    "resume_harness:\n"
    "  popl %ebx\n  popl %esi\n  popl %edi\n  popl %ebp\n"
    "  ret\n");

/* The i386 signal frame's context, as the kernel lays it out. */
struct sigctx {
    uint32_t gs, fs, es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t trapno, err, eip, cs, eflags, esp_at_signal, ss, fpstate, oldmask, cr2;
};
struct kucontext {
    uint32_t flags, link, ss_sp, ss_flags, ss_size;
    struct sigctx mc;
};

static uint8_t result[RESULT_BYTES];
static volatile int in_guest;
static volatile int ticks;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void on_signal(int sig, void *info, void *ctx) {
    struct sigctx *g = &((struct kucontext *)ctx)->mc;
    (void)info;
    /* Outside a case, a fault is the harness's own, or a case's stray store
     * broke the harness (its flag or its stack): stop rather than loop. */
    if (!in_guest) {
        if (sig == SIGVTALRM) return;
        char msg[96], *p = msg;
        p = put_str(p, "harness: signal ");
        p = put_dec(p, (uint32_t)sig);
        p = put_str(p, " in the harness itself at eip ");
        p = put_hex(p, g->eip);
        *p++ = '\n';
        write_all(2, msg, (size_t)(p - msg));
        sys_exit(3);
    }
    uint32_t vector, err = g->err;
    if (sig == SIGVTALRM) {
        if (++ticks < TIMEOUT_TICKS) return; /* a tick during a short case: resume it untouched */
        vector = VECTOR_TIMEOUT;
        err = 0;
    } else if (sig == SIGSYS) {
        vector = VECTOR_REFUSED; /* seccomp stopped a system call; trapno and err are stale */
        err = 0;
    } else {
        vector = g->trapno;
    }
    const uint32_t regs[8] = {g->eax, g->ecx, g->edx, g->ebx, g->esp, g->ebp, g->esi, g->edi};
    for (int i = 0; i < 8; i++) put32(result + i * 4, regs[i]);
    put32(result + 32, g->eip);
    put32(result + 36, g->eflags);
    put32(result + 40, vector);
    put32(result + 44, err);
    put32(result + 48, vector == 14 ? g->cr2 : 0);
    const uint32_t segs[6] = {g->es, g->cs, g->ss, g->ds, g->fs, g->gs};
    for (int i = 0; i < 6; i++) {
        uint16_t s = (uint16_t)segs[i];
        memcpy(result + 52 + i * 2, &s, 2);
    }
    in_guest = 0;

    g->eip = (uint32_t)resume_harness;
    g->esp = FIXED.saved_esp;
    g->eflags = EFLAGS_FIXED;
    g->cs = FIXED.user_cs;
    g->ss = g->ds = g->es = g->fs = FIXED.user_ds;
    g->gs = FIXED.tls_sel;
    g->fpstate = 0; /* sigreturn without an FPU image resets the FPU: the next case starts clean */
}

/* ---------------------------------------------------------------- case pages */

static uint32_t *const data_words = (uint32_t *)DATA_ADDR;
static uint32_t *const stack_words = (uint32_t *)STACK_ADDR;

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
    uint32_t *p = (uint32_t *)CODE_ADDR;
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
        memcpy((void *)addr, &value, 4);
    }
    return 1;
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
        uint32_t after = *(uint32_t *)addr;
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

struct kernel_sigaction {
    void (*handler)(int, void *, void *);
    uint32_t flags;
    void (*restorer)(void);
    uint32_t mask[2];
};
#define SA_SIGINFO 0x4u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_RESTORER 0x04000000u
#define SS_AUTODISARM 0x80000000u

/* Room for the largest signal frame (AVX-512 or AMX state); kept small like
 * every writable buffer here, since each is a target for a case's stray store. */
static uint8_t altstack[32768] __attribute__((aligned(64)));

static void install_handlers(void) {
    /* SS_AUTODISARM: the kernel always builds the frame at the top of the
     * alternate stack, even when a guest's random ESP happens to point into it. */
    uint32_t ss[3] = {(uint32_t)altstack, SS_AUTODISARM, sizeof altstack};
    long r = sys(NR_sigaltstack, (long)ss, 0, 0, 0, 0, 0);
    if (r < 0) fail("sigaltstack failed", r);
    struct kernel_sigaction sa = {on_signal, SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_RESTORER, sig_restorer,
                                  {0xffffffffu, 0xffffffffu}};
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGVTALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        r = sys(NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0);
        if (r < 0) fail("rt_sigaction failed", r);
    }
    uint32_t timer[4] = {0, TICK_USEC, 0, TICK_USEC};
    r = sys(NR_setitimer, 1 /* ITIMER_VIRTUAL */, (long)timer, 0, 0, 0, 0);
    if (r < 0) fail("setitimer failed", r);
}

/* GDT entry 12 (selector 0x63, where glibc's TLS goes) as a flat data segment,
 * the GS glassbox gives its cases. */
static void install_tls(void) {
    uint32_t desc[4] = {0xffffffffu, 0, 0xfffff, 0x51 /* seg_32bit, limit_in_pages, useable */};
    long r = sys(NR_set_thread_area, (long)desc, 0, 0, 0, 0, 0);
    if (r < 0) fail("set_thread_area failed", r);
    FIXED.tls_sel = (uint16_t)(desc[0] * 8 + 3);
    __asm__ volatile("movw %0, %%gs" : : "r"(FIXED.tls_sel));
}

static void map_fixed(uint32_t addr, uint32_t size, int prot) {
    const int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
    long p = sys(NR_mmap2, (long)addr, (long)size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p < 0 && p > -4096) fail("cannot map the case pages below 0x8000 (is vm.mmap_min_addr above 0x2000?)", p);
    if ((uint32_t)p != addr) fail("the kernel placed a case page elsewhere", 0);
}

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
#define AUDIT_ARCH_I386 0x40000003u

static void install_seccomp(void) {
    /* seccomp_data: nr @0, arch @4, instruction_pointer @8 (u64), args @16 (u64 each). */
    struct sock_filter f[] = {
        /*  0 */ LD(4),
        /*  1 */ JEQ(AUDIT_ARCH_I386, 1, 0),
        /*  2 */ RET(RET_KILL),
        /*  3 */ LD(8),
        /*  4 */ JEQ((uint32_t)syscall_site, 0, 5),
        /*  5 */ LD(0),
        /*  6 */ JEQ(NR_rt_sigreturn, 10, 0),
        /*  7 */ JEQ(NR_exit_group, 9, 0),
        /*  8 */ JEQ(NR_read, 2, 0),
        /*  9 */ JEQ(NR_write, 3, 0),
        /* 10 */ RET(RET_TRAP),
        /* 11 */ LD(16),
        /* 12 */ JEQ(0, 4, 3),
        /* 13 */ LD(16),
        /* 14 */ JEQ(1, 2, 0),
        /* 15 */ JEQ(2, 1, 0),
        /* 16 */ RET(RET_TRAP),
        /* 17 */ RET(RET_ALLOW),
    };
    struct {
        uint16_t len;
        struct sock_filter *filter;
    } prog = {sizeof f / sizeof f[0], f};
    long r = sys(NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0);
    if (r < 0) fail("prctl(PR_SET_NO_NEW_PRIVS) failed", r);
    r = sys(NR_prctl, 22 /* PR_SET_SECCOMP */, 2 /* SECCOMP_MODE_FILTER */, (long)&prog, 0, 0, 0);
    if (r < 0) fail("cannot install the seccomp filter that keeps cases from making system calls", r);
}

#define IN_CAP (CASE_BYTES * 128)
#define OUT_CAP (RESULT_BYTES * 128)
static uint8_t in_buf[IN_CAP];
static uint8_t out_buf[OUT_CAP];
static uint32_t out_len;

/* Unmaps the kernel's stack and the vDSO: after this the process holds only
 * this binary (linked far from the case pages) and the case pages, so a
 * store through a random or wrapped-around address (BT with a negative bit
 * offset reaches up to 256 MiB below its base, into the top of the address
 * space where the stack lives) faults as it does in glassbox instead of
 * landing in the harness. Needs the argument strings no more. */
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
        uint32_t lo = 0, hi = 0;
        char *p = line;
        for (; *p != '-'; p++) lo = lo * 16 + (uint32_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        for (p++; *p != ' '; p++) hi = hi * 16 + (uint32_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
        char *name = end;
        while (name > line && name[-1] != ' ') name--;
        if (*name == '[') {
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
         * own, so the case runs again from its seed (rarely more than once). */
        for (int attempt = 0;; attempt++) {
            if (attempt) {
                fill_pages(get32(rec));
                apply_presets(rec);
            }
            reset_code_page();
            memcpy((void *)CODE_ADDR, rec + 44, len);
            memcpy(guest, rec + 4, 32);
            guest[8] = (get32(rec + 36) & EFLAGS_FROM_CASE) | EFLAGS_FIXED;
            if (dump && !attempt) snapshot();
            ticks = 0;
            in_guest = 1;
            run_guest();
            __asm__ volatile("" ::: "memory");
            if (ticks == 0 || get32(result + 40) == VECTOR_TIMEOUT || attempt == 8) break;
            memset(result, 0, sizeof result);
        }
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
    __asm__ volatile("movw %%ds, %0" : "=r"(FIXED.user_ds));
    unmap_the_rest();
    /* Executable too (7 = read, write, exec): a P6 has no NX, so glassbox runs code from any mapped page. */
    map_fixed(DATA_ADDR, DATA_SIZE, 7);
    map_fixed(STACK_ADDR, STACK_SIZE, 7);
    map_fixed(CODE_ADDR, CODE_PAGE, 7);
    install_tls();
    install_handlers();
    /* An empty case goes first, through the same call as every case, to fix
     * run_guest's ESP; then the page that holds it goes read-only and the
     * filter goes on. Its result is dropped. */
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

void start_c(uint32_t *sp) { sys_exit(harness_main((int)sp[0], (char **)(sp + 1))); }

/* The harness runs on this stack so that the kernel's can be unmapped. */
uint8_t main_stack[16384] __attribute__((aligned(16)));

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  xorl %ebp, %ebp\n"
    "  movl %esp, %eax\n"
    "  movl $main_stack+16384-16, %esp\n"
    "  subl $12, %esp\n"
    "  pushl %eax\n"
    "  call start_c\n"
    "  hlt\n");
