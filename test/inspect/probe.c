/* A guest program whose system calls are known by construction: CALLS
 * getpid() calls through int 0x80, then (with PAUSE) a marker page written
 * and pause() until killed, else exit(0). No libc, so nothing else runs. */
#ifndef CALLS
#define CALLS 0
#endif

char marker[4096] __attribute__((aligned(4096)));

static int sys1(int nr, int a) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a) : "memory");
  return r;
}

void _start(void) {
  for (int i = 0; i < CALLS; i++) sys1(20, 0); /* getpid */
#ifdef PAUSE
  const char *m = "glassbox-marker-page";
  for (int i = 0; m[i]; i++) marker[i] = m[i];
  sys1(29, 0); /* pause */
#endif
  sys1(1, 0); /* exit */
  for (;;) {}
}
