/*
 * The native oracle: runs differential test cases on the host CPU in 32-bit
 * user mode and reports the outcome, in the record layouts of case.ts.
 *
 * Every case ends in a signal: the INT3 placed after the instruction, or the
 * instruction's own exception. The handler records the state from the
 * ucontext, then rewrites the ucontext so that sigreturn resumes the harness
 * with its own registers and segments: nothing in the handler depends on the
 * guest's ESP, segments or flags (it runs on an alternate stack).
 *
 * Build: gcc -m32 -O2 -no-pie -fno-pie -fno-stack-protector -o harness harness.c
 * Use:   harness < cases > results
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define DATA_ADDR 0x2000u
#define DATA_SIZE 0x2000u
#define STACK_ADDR 0x5000u
#define STACK_SIZE 0x1000u
#define CODE_ADDR 0x7000u
#define CODE_MAX 20
#define CASE_BYTES 80
#define RESULT_BYTES 80
#define VECTOR_REFUSED 0xffffffffu
#define VECTOR_TIMEOUT 0xfffffffeu

/* Guest registers loaded by run_guest, in case.ts order, then EFLAGS. */
uint32_t guest[9];
uint32_t code_entry = CODE_ADDR;
/* Harness registers saved by run_guest and restored through the ucontext. */
uint32_t saved_esp, saved_ebx, saved_esi, saved_edi, saved_ebp;

void run_guest(void);
void resume_guest(void);

__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  movl %ebx, saved_ebx\n"
    "  movl %esi, saved_esi\n"
    "  movl %edi, saved_edi\n"
    "  movl %ebp, saved_ebp\n"
    "  movl %esp, saved_esp\n"
    "  pushl guest+32\n"
    "  popfl\n"
    "  movl guest+0, %eax\n"
    "  movl guest+4, %ecx\n"
    "  movl guest+8, %edx\n"
    "  movl guest+12, %ebx\n"
    "  movl guest+20, %ebp\n"
    "  movl guest+24, %esi\n"
    "  movl guest+28, %edi\n"
    "  movl guest+16, %esp\n"
    "  jmp *code_entry\n"
    ".globl resume_guest\n"
    "resume_guest:\n"
    "  ret\n");

static uint8_t result[RESULT_BYTES];
static uint16_t user_cs, user_ds, harness_gs;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void on_signal(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    static const int order[8] = {REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI};
    for (int i = 0; i < 8; i++) put32(result + i * 4, (uint32_t)g[order[i]]);
    put32(result + 32, (uint32_t)g[REG_EIP]);
    put32(result + 36, (uint32_t)g[REG_EFL]);
    uint32_t vector = sig == SIGALRM ? VECTOR_TIMEOUT : (uint32_t)g[REG_TRAPNO];
    put32(result + 40, vector);
    put32(result + 44, sig == SIGALRM ? 0 : (uint32_t)g[REG_ERR]);
    /* CR2 as the kernel reports it for a page fault (si_addr is the same address). */
    put32(result + 48, vector == 14 ? (uint32_t)uc->uc_mcontext.cr2 : 0);
    static const int segs[6] = {REG_ES, REG_CS, REG_SS, REG_DS, REG_FS, REG_GS};
    for (int i = 0; i < 6; i++) put16(result + 52 + i * 2, (uint16_t)g[segs[i]]);
    (void)si;
    /* Resume the harness where run_guest would have returned. */
    g[REG_EIP] = (greg_t)(uintptr_t)resume_guest;
    g[REG_ESP] = (greg_t)saved_esp; /* sigreturn restores "sp", not "sp_at_signal" (REG_UESP) */
    g[REG_EBX] = (greg_t)saved_ebx;
    g[REG_ESI] = (greg_t)saved_esi;
    g[REG_EDI] = (greg_t)saved_edi;
    g[REG_EBP] = (greg_t)saved_ebp;
    g[REG_EFL] = 0x202;
    g[REG_CS] = user_cs;
    g[REG_SS] = g[REG_DS] = g[REG_ES] = g[REG_FS] = user_ds;
    g[REG_GS] = harness_gs;
}

static uint32_t xorshift_state;
static uint32_t next_word(void) {
    uint32_t s = xorshift_state;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return xorshift_state = s;
}

static void fill_pages(uint32_t seed) {
    xorshift_state = seed ? seed : 0x9e3779b9u;
    uint32_t *d = (uint32_t *)(uintptr_t)DATA_ADDR, *s = (uint32_t *)(uintptr_t)STACK_ADDR;
    for (uint32_t i = 0; i < DATA_SIZE / 4; i++) d[i] = next_word();
    for (uint32_t i = 0; i < STACK_SIZE / 4; i++) s[i] = next_word();
}

static void hash_pages(uint32_t *ha, uint32_t *hb) {
    uint32_t a = 0x811c9dc5u, b = 0x12345678u;
    const uint32_t *d = (const uint32_t *)(uintptr_t)DATA_ADDR, *s = (const uint32_t *)(uintptr_t)STACK_ADDR;
    for (uint32_t i = 0; i < (DATA_SIZE + STACK_SIZE) / 4; i++) {
        uint32_t w = i < DATA_SIZE / 4 ? d[i] : s[i - DATA_SIZE / 4];
        a = (a ^ w) * 0x01000193u;
        b = ((b ^ w) * 0x5bd1e995u) ^ (b >> 15);
    }
    *ha = a;
    *hb = b;
}

static void apply_presets(const uint32_t *presets) {
    for (int i = 0; i < 2; i++)
        if (presets[i * 2]) *(uint32_t *)(uintptr_t)presets[i * 2] = presets[i * 2 + 1];
}

/* --dump: the words of the data and stack pages the case changed, on stderr. */
static void print_changes(uint32_t seed, const uint32_t *presets) {
    static uint32_t after[(DATA_SIZE + STACK_SIZE) / 4];
    memcpy(after, (void *)(uintptr_t)DATA_ADDR, DATA_SIZE);
    memcpy(after + DATA_SIZE / 4, (void *)(uintptr_t)STACK_ADDR, STACK_SIZE);
    fill_pages(seed);
    apply_presets(presets);
    for (uint32_t i = 0; i < (DATA_SIZE + STACK_SIZE) / 4; i++) {
        uint32_t addr = i < DATA_SIZE / 4 ? DATA_ADDR + i * 4 : STACK_ADDR + (i - DATA_SIZE / 4) * 4;
        uint32_t before = *(uint32_t *)(uintptr_t)addr;
        if (before != after[i]) fprintf(stderr, "native %08x: %08x -> %08x\n", addr, before, after[i]);
    }
}

/* Instructions that would leave the case: system calls. */
static int refused(const uint8_t *code, unsigned len) {
    for (unsigned i = 0; i + 1 < len; i++) {
        if (code[i] == 0xcd && code[i + 1] == 0x80) return 1;
        if (code[i] == 0x0f && (code[i + 1] == 0x34 || code[i + 1] == 0x05)) return 1;
    }
    return 0;
}

static void map_fixed(uint32_t addr, uint32_t size, int prot) {
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)addr) {
        fprintf(stderr, "harness: cannot map 0x%x (vm.mmap_min_addr must be at most 0x2000)\n", addr);
        exit(2);
    }
}

int main(int argc, char **argv) {
    int dump = argc > 1 && strcmp(argv[1], "--dump") == 0;
    __asm__("movw %%cs, %0" : "=r"(user_cs));
    __asm__("movw %%ds, %0" : "=r"(user_ds));
    __asm__("movw %%gs, %0" : "=r"(harness_gs));
    /* FS is unused by i386 glibc; give it the flat data selector the cases expect. */
    __asm__ volatile("movw %0, %%fs" : : "r"(user_ds));

    map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(STACK_ADDR, STACK_SIZE, PROT_READ | PROT_WRITE);
    map_fixed(CODE_ADDR, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);

    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    uint8_t c[CASE_BYTES];
    while (fread(c, 1, CASE_BYTES, stdin) == CASE_BYTES) {
        uint32_t seed, presets[4];
        memcpy(&seed, c, 4);
        memcpy(guest, c + 4, 36);
        unsigned len = c[40] > CODE_MAX ? CODE_MAX : c[40];
        memcpy(presets, c + 64, 16);
        memset(result, 0, sizeof result);
        if (refused(c + 44, len)) {
            put32(result + 40, VECTOR_REFUSED);
            fwrite(result, 1, RESULT_BYTES, stdout);
            continue;
        }
        fill_pages(seed);
        apply_presets(presets);
        uint8_t *code = (uint8_t *)(uintptr_t)CODE_ADDR;
        memset(code, 0xcc, 0x1000);
        memcpy(code, c + 44, len);
        /* Never trap or misalign on purpose: TF and AC stay clear. */
        guest[8] = (guest[8] & ~(0x100u | 0x40000u)) | 0x2u;
        struct itimerval t = {.it_value = {.tv_sec = 0, .tv_usec = 200000}};
        setitimer(ITIMER_REAL, &t, NULL);
        run_guest();
        struct itimerval off = {0};
        setitimer(ITIMER_REAL, &off, NULL);
        uint32_t ha, hb;
        hash_pages(&ha, &hb);
        put32(result + 64, ha);
        put32(result + 68, hb);
        if (dump) print_changes(seed, presets);
        fwrite(result, 1, RESULT_BYTES, stdout);
    }
    fflush(stdout);
    return 0;
}
