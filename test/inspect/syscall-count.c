/* The oracle for the inspector's system-call counter, run inside the guest:
 * `syscall-count PROGRAM` runs PROGRAM under ptrace and prints how many
 * system calls the guest kernel stopped it at (PTRACE_SYSCALL entry stops),
 * as strace would count them. The count is the kernel's, not glassbox's.
 * No libc, so the binary is small enough for one agent request. */

#define SYS_exit 1
#define SYS_fork 2
#define SYS_write 4
#define SYS_execve 11
#define SYS_ptrace 26
#define SYS_wait4 114
#define PTRACE_TRACEME 0
#define PTRACE_SYSCALL 24
#define PTRACE_SETOPTIONS 0x4200
#define PTRACE_O_TRACESYSGOOD 1
#define SIGTRAP 5

static int sys(int nr, int a, int b, int c, int d) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
  return r;
}

static void quit(int status) {
  sys(SYS_exit, status, 0, 0, 0);
}

/* argc at sp[0], then argv[], NULL, envp[], NULL (the i386 process entry). */
void count_main(int *sp) {
  char **argv = (char **)(sp + 1);
  char **envp = argv + sp[0] + 1;
  if (sp[0] < 2) quit(2);
  int child = sys(SYS_fork, 0, 0, 0, 0);
  if (child == 0) {
    sys(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
    sys(SYS_execve, (int)argv[1], (int)(argv + 1), (int)envp, 0);
    quit(127);
  }
  int status = 0;
  /* PROGRAM stops with SIGTRAP once execve has loaded it */
  if (sys(SYS_wait4, child, (int)&status, 0, 0) != child || status != ((SIGTRAP << 8) | 0x7f)) quit(3);
  sys(SYS_ptrace, PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD);
  int calls = 0, inside = 0, signal = 0;
  for (;;) {
    sys(SYS_ptrace, PTRACE_SYSCALL, child, 0, signal);
    if (sys(SYS_wait4, child, (int)&status, 0, 0) != child) quit(4);
    if ((status & 0x7f) != 0x7f) break; /* exited or killed */
    int stop = (status >> 8) & 0xff;
    signal = 0;
    if (stop == (SIGTRAP | 0x80)) {
      if (!inside) calls++; /* entry and exit stops alternate; exit(2) has no exit stop */
      inside = !inside;
    } else {
      signal = stop; /* a signal for the tracee: pass it on */
    }
  }
  char text[12];
  int n = sizeof text;
  text[--n] = '\n';
  do text[--n] = '0' + calls % 10; while ((calls /= 10) > 0);
  sys(SYS_write, 1, (int)(text + n), sizeof text - n, 0);
  quit(0);
}

__asm__(".globl _start\n_start:\n\tmov %esp, %eax\n\tpush %eax\n\tcall count_main\n");
