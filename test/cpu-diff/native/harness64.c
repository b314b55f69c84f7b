/*
 * The native oracle for hosts that run no 32-bit code (many cloud kernels,
 * PVM guests, ia32_emulation=0): a 64-bit process that runs each case's
 * instruction in 64-bit mode, where long-mode.ts has re-encoded it so that
 * it does what it does in a 32-bit process (0x67 for 32-bit addressing with
 * 32-bit wrap-around, [disp32] through a SIB byte instead of RIP-relative),
 * and only for the instruction forms whose semantics are the same there.
 *
 *   harness64 [--dump] < cases > results      (records of case.ts)
 *   build:  gcc -O2 -static -nostdlib -ffreestanding -fno-pie -no-pie ...  (native.ts has the exact list)
 *
 * Everything but this file's part is harness-core.h, shared with the 32-bit
 * harness.c (whose header explains the safety measures: no libc, the
 * kernel's stack and vDSO unmapped, seccomp, the alternate signal stack,
 * the read-only page with the way back, the integrity words).
 *
 * What differs from the 32-bit process, and how the outcome stays a 32-bit
 * one:
 *  - The case's registers are loaded with 32-bit moves, so every upper half
 *    (and R8-R15) is zero. An instruction that leaves an upper half set, or
 *    a #PF above 4 GiB, did not do what it does in 32-bit mode: the case is
 *    reported with VECTOR_WIDE instead of an outcome.
 *  - DS, ES, FS, GS and SS hold the flat user data selector 0x2b (base 0,
 *    as GS is given by arch_prctl too); CS is 0x33, the 64-bit code segment.
 *    The selectors are reported as they are; long-mode.ts maps them to the
 *    32-bit process's, and translate_fcs() maps the code selector FNSAVE
 *    and FNSTENV store.
 *  - The signal context has RIP, RFLAGS, CR2 and the error code as the CPU
 *    gave them; DS, ES, FS and GS are not in a 64-bit signal context and are
 *    read in the handler (the kernel does not change them on the way).
 */

enum {
    NR_exit_group = 231, NR_read = 0, NR_write = 1, NR_mmap = 9, NR_rt_sigaction = 13,
    NR_rt_sigreturn = 15, NR_sigaltstack = 131, NR_setitimer = 38, NR_prctl = 157,
    NR_arch_prctl = 158, NR_open = 2, NR_close = 3, NR_munmap = 11, NR_mprotect = 10,
};

/* The code selector of a 32-bit process under Linux (__USER32_CS). */
#define SEGS32_CS 0x23u
#define USER_DS 0x2bu
/* A case may set AC (POPF) and the kernel keeps it set in the handler, where
 * the compiled code's unaligned accesses would then raise #AC with SIGBUS
 * blocked, and the process would die: signal_entry clears AC first. */
#define SIGNAL_ENTRY signal_entry
/* The filter's checks (the instruction pointer's low half at 8, high at 12):
 * an x86_64 process, the call from sys(), else the trap of
 * SECCOMP_ALLOWED_CALLS. An i386 system call (INT 0x80 written by a case)
 * fails the first check and is refused like any other. */
#define AUDIT_ARCH_X86_64 0xc000003eu
#define SECCOMP_ARCH_AND_SITE \
    JEQ(AUDIT_ARCH_X86_64, 1, 0), RET(RET_TRAP), LD(12), JEQ(0, 0, 7), LD(8), JEQ((uint32_t)(uintptr_t)syscall_site, 0, 5)
/* _start: argc and argv at the kernel's RSP, passed in RDI. */
#define START_STACK                       \
    "  movq %rsp, %rdi\n"                 \
    "  movq $main_stack+16384-16, %rsp\n"

#include "harness-core.h"

#define VECTOR_WIDE 0xfffffffcu /* an upper half set: not the 32-bit outcome */

__asm__(
    ".text\n"
    ".globl sys\n"
    "sys:\n"
    "  movq %rdi, %rax\n  movq %rsi, %rdi\n  movq %rdx, %rsi\n  movq %rcx, %rdx\n"
    "  movq %r8, %r10\n  movq %r9, %r8\n  movq 8(%rsp), %r9\n"
    "enter_kernel:\n"
    "  syscall\n"
    ".globl syscall_site\n"
    "syscall_site:\n"
    "  ret\n"
    ".globl sig_restorer\n"
    "sig_restorer:\n"
    "  movl $15, %eax\n"
    "  jmp enter_kernel\n");

__asm__(
    ".text\n"
    ".globl signal_entry\n"
    "signal_entry:\n"
    "  pushfq\n"
    "  andq $~0x40000, (%rsp)\n"
    "  popfq\n"
    "  jmp on_signal\n");

/* As in harness.c; 32-bit moves load the registers, which zeroes every upper half. */
__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  cmpq $0, fixed_page\n"
    "  jne 1f\n"
    "  movq %rsp, fixed_page\n"
    "1:\n"
    "  cmpq %rsp, fixed_page\n"
    "  jne stack_moved\n"
    /* XMM8-15 zero too, and MXCSR at its default (a case's FXRSTOR or LDMXCSR must not carry over). */
    RUN_GUEST_X87_RESET RUN_GUEST_XMM0_7_ZERO
    "  xorps %xmm8, %xmm8\n  xorps %xmm9, %xmm9\n  xorps %xmm10, %xmm10\n  xorps %xmm11, %xmm11\n"
    "  xorps %xmm12, %xmm12\n  xorps %xmm13, %xmm13\n  xorps %xmm14, %xmm14\n  xorps %xmm15, %xmm15\n"
    "  ldmxcsr mxcsr_default(%rip)\n"
    /* Loading the flat selector also resets FS and GS bases to 0, whatever a case did. */
    "  movw fixed_page+18, %ax\n"
    "  movw %ax, %ds\n  movw %ax, %es\n  movw %ax, %fs\n  movw %ax, %gs\n  movw %ax, %ss\n"
    /* R8-R15 zero before the flags are loaded (XOR would change them). */
    "  xorl %r8d, %r8d\n  xorl %r9d, %r9d\n  xorl %r10d, %r10d\n  xorl %r11d, %r11d\n"
    "  xorl %r12d, %r12d\n  xorl %r13d, %r13d\n  xorl %r14d, %r14d\n  xorl %r15d, %r15d\n"
    "  movl guest+32, %eax\n"
    "  pushq %rax\n"
    "  popfq\n"
    RUN_GUEST_LOAD_AND_JUMP
    ".globl resume_harness\n"
    "resume_harness:\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n");

/* The x86_64 signal frame's context, as the kernel lays it out. */
struct sigctx {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct kucontext {
    uint64_t flags, link;
    struct kernel_stack stack;
    struct sigctx mc;
};

static uint16_t selector(int which) {
    uint16_t s = 0;
    if (which == 0) __asm__ volatile("movw %%es, %0" : "=r"(s));
    else if (which == 3) __asm__ volatile("movw %%ds, %0" : "=r"(s));
    else if (which == 4) __asm__ volatile("movw %%fs, %0" : "=r"(s));
    else __asm__ volatile("movw %%gs, %0" : "=r"(s));
    return s;
}

void on_signal(int sig, void *info, void *ctx) {
    struct sigctx *g = &((struct kucontext *)ctx)->mc;
    (void)info;
    uint32_t vector, err = (uint32_t)g->err;
    if (!signal_vector(sig, g->rip, (uint32_t)g->trapno, &vector, &err)) return;
    const uint64_t wide[] = {g->rax, g->rcx, g->rdx, g->rbx, g->rsp, g->rbp, g->rsi, g->rdi, g->rip, g->eflags};
    uint64_t upper = g->r8 | g->r9 | g->r10 | g->r11 | g->r12 | g->r13 | g->r14 | g->r15;
    for (unsigned i = 0; i < sizeof wide / sizeof wide[0]; i++) upper |= wide[i] >> 32;
    if (vector == 14) upper |= g->cr2 >> 32;
    /* A refused system call (SYSCALL writes RCX and R11) or an endless loop has no outcome to compare. */
    if (upper && vector < 32) {
        vector = VECTOR_WIDE;
        err = 0;
    }
    uint32_t regs[8];
    for (int i = 0; i < 8; i++) regs[i] = (uint32_t)wide[i];
    const uint32_t segs[6] = {selector(0), g->cs, g->ss, selector(3), selector(4), selector(5)};
    record_outcome(regs, (uint32_t)g->rip, (uint32_t)g->eflags, vector, err, (uint32_t)g->cr2, segs);

    g->rip = (uint64_t)resume_harness;
    g->rsp = FIXED.saved_sp;
    g->eflags = EFLAGS_FIXED;
    g->cs = FIXED.user_cs;
    g->ss = FIXED.user_ds;
    g->fpstate = 0; /* sigreturn without an FPU image resets the FPU: the next case starts clean */
}

/* FS and GS bases 0 (run_guest's selector loads keep them so). */
static void install_segments(void) {
    FIXED.user_ds = USER_DS;
    FIXED.tls_sel = USER_DS;
    const long ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002;
    long r = sys(NR_arch_prctl, ARCH_SET_GS, 0, 0, 0, 0, 0);
    if (r >= 0) r = sys(NR_arch_prctl, ARCH_SET_FS, 0, 0, 0, 0, 0);
    if (r < 0) fail("arch_prctl(ARCH_SET_GS/FS, 0) failed", r);
}
