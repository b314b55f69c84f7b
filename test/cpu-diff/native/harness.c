/*
 * The native oracle: runs differential test cases on the host CPU in 32-bit
 * user mode and reports each outcome in the record layouts of case.ts.
 * What it shares with harness64.c (the 64-bit-mode oracle) is in
 * harness-core.h; this file is the i386 part: system calls, the jump into a
 * case and back, the signal context, the TLS segment and the seccomp filter.
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
enum {
    NR_exit_group = 252, NR_read = 3, NR_write = 4, NR_mmap = 192 /* mmap2 */, NR_rt_sigaction = 174,
    NR_rt_sigreturn = 173, NR_sigaltstack = 186, NR_setitimer = 104, NR_prctl = 172,
    NR_set_thread_area = 243, NR_open = 5, NR_close = 6, NR_munmap = 91, NR_mprotect = 125,
};

/* FNSAVE images need no translation in a 32-bit process. */
#define SEGS32_CS FIXED.user_cs
/* The filter's checks (the instruction pointer at 8 is a u64): an i386
 * process, the call from sys(), else the trap of SECCOMP_ALLOWED_CALLS. */
#define AUDIT_ARCH_I386 0x40000003u
#define SECCOMP_ARCH_AND_SITE JEQ(AUDIT_ARCH_I386, 1, 0), RET(RET_KILL), LD(8), JEQ((uint32_t)syscall_site, 0, 5)
/* _start: argc and argv at the kernel's ESP, passed on the harness's stack (16-byte aligned at the call). */
#define START_STACK                          \
    "  movl %esp, %eax\n"                    \
    "  movl $main_stack+16384-16, %esp\n"    \
    "  subl $12, %esp\n"                     \
    "  pushl %eax\n"

#include "harness-core.h"

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
    RUN_GUEST_X87_RESET RUN_GUEST_XMM0_7_ZERO
    "  ldmxcsr mxcsr_default\n"
    "  movw fixed_page+18, %ax\n"
    "  movw %ax, %ds\n  movw %ax, %es\n  movw %ax, %fs\n  movw %ax, %ss\n"
    "  pushl guest+32\n"
    "  popfl\n"
    RUN_GUEST_LOAD_AND_JUMP
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

void on_signal(int sig, void *info, void *ctx) {
    struct sigctx *g = &((struct kucontext *)ctx)->mc;
    (void)info;
    uint32_t vector, err = g->err;
    if (!signal_vector(sig, g->eip, g->trapno, &vector, &err)) return;
    const uint32_t regs[8] = {g->eax, g->ecx, g->edx, g->ebx, g->esp, g->ebp, g->esi, g->edi};
    const uint32_t segs[6] = {g->es, g->cs, g->ss, g->ds, g->fs, g->gs};
    record_outcome(regs, g->eip, g->eflags, vector, err, g->cr2, segs);

    g->eip = (uint32_t)resume_harness;
    g->esp = (uint32_t)FIXED.saved_sp;
    g->eflags = EFLAGS_FIXED;
    g->cs = FIXED.user_cs;
    g->ss = g->ds = g->es = g->fs = FIXED.user_ds;
    g->gs = FIXED.tls_sel;
    g->fpstate = 0; /* sigreturn without an FPU image resets the FPU: the next case starts clean */
}

/* The process's data selector, and GDT entry 12 (selector 0x63, where glibc's
 * TLS goes) as a flat data segment, the GS glassbox gives its cases. */
static void install_segments(void) {
    __asm__ volatile("movw %%ds, %0" : "=r"(FIXED.user_ds));
    uint32_t desc[4] = {0xffffffffu, 0, 0xfffff, 0x51 /* seg_32bit, limit_in_pages, useable */};
    long r = sys(NR_set_thread_area, (long)desc, 0, 0, 0, 0, 0);
    if (r < 0) fail("set_thread_area failed", r);
    FIXED.tls_sel = (uint16_t)(desc[0] * 8 + 3);
    __asm__ volatile("movw %0, %%gs" : : "r"(FIXED.tls_sel));
}
