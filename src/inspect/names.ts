// Names for the numbers the trace records: i386 system calls (the ABI's
// numbers, as in the kernel's syscall_32.tbl; the common ones, a test checks
// them against the host's asm/unistd_32.h) and the CPU's exception vectors.

const SYSCALLS_I386 = `
1:exit 2:fork 3:read 4:write 5:open 6:close 7:waitpid 9:link 10:unlink 11:execve 12:chdir 13:time
14:mknod 15:chmod 19:lseek 20:getpid 21:mount 22:umount 23:setuid 24:getuid 27:alarm 29:pause
33:access 36:sync 37:kill 38:rename 39:mkdir 40:rmdir 41:dup 42:pipe 43:times 45:brk 46:setgid
47:getgid 54:ioctl 55:fcntl 57:setpgid 60:umask 61:chroot 63:dup2 64:getppid 65:getpgrp 66:setsid
67:sigaction 74:sethostname 75:setrlimit 77:getrusage 78:gettimeofday 83:symlink 85:readlink
88:reboot 90:mmap 91:munmap 92:truncate 93:ftruncate 94:fchmod 95:fchown 96:getpriority
97:setpriority 99:statfs 100:fstatfs 102:socketcall 103:syslog 104:setitimer 105:getitimer
114:wait4 116:sysinfo 117:ipc 118:fsync 119:sigreturn 120:clone 121:setdomainname 122:uname
125:mprotect 126:sigprocmask 128:init_module 129:delete_module 132:getpgid 133:fchdir
136:personality 140:_llseek 141:getdents 142:_newselect 143:flock 144:msync 145:readv 146:writev
147:getsid 148:fdatasync 150:mlock 151:munlock 158:sched_yield 162:nanosleep 163:mremap 168:poll
172:prctl 173:rt_sigreturn 174:rt_sigaction 175:rt_sigprocmask 176:rt_sigpending
177:rt_sigtimedwait 179:rt_sigsuspend 180:pread64 181:pwrite64 182:chown 183:getcwd 186:sigaltstack
187:sendfile 190:vfork 191:ugetrlimit 192:mmap2 193:truncate64 194:ftruncate64 195:stat64
196:lstat64 197:fstat64 198:lchown32 199:getuid32 200:getgid32 201:geteuid32 202:getegid32
203:setreuid32 204:setregid32 205:getgroups32 206:setgroups32 207:fchown32 208:setresuid32
209:getresuid32 210:setresgid32 211:getresgid32 212:chown32 213:setuid32 214:setgid32
217:pivot_root 219:madvise 220:getdents64 221:fcntl64 224:gettid 225:readahead 226:setxattr
229:getxattr 232:listxattr 238:tkill 239:sendfile64 240:futex 241:sched_setaffinity
242:sched_getaffinity 243:set_thread_area 244:get_thread_area 252:exit_group 254:epoll_create
255:epoll_ctl 256:epoll_wait 258:set_tid_address 259:timer_create 264:clock_settime
265:clock_gettime 266:clock_getres 267:clock_nanosleep 268:statfs64 269:fstatfs64 270:tgkill
271:utimes 272:fadvise64_64 284:waitid 291:inotify_init 292:inotify_add_watch 293:inotify_rm_watch
295:openat 296:mkdirat 297:mknodat 298:fchownat 299:futimesat 300:fstatat64 301:unlinkat
302:renameat 303:linkat 304:symlinkat 305:readlinkat 306:fchmodat 307:faccessat 308:pselect6
309:ppoll 310:unshare 311:set_robust_list 312:get_robust_list 313:splice 315:tee 316:vmsplice
320:utimensat 321:signalfd 322:timerfd_create 323:eventfd 324:fallocate 325:timerfd_settime
326:timerfd_gettime 327:signalfd4 328:eventfd2 329:epoll_create1 330:dup3 331:pipe2
332:inotify_init1 333:preadv 334:pwritev 340:prlimit64 346:setns 355:getrandom 356:memfd_create
358:execveat 359:socket 360:socketpair 361:bind 362:connect 363:listen 364:accept4 365:getsockopt
366:setsockopt 367:getsockname 368:getpeername 369:sendto 370:sendmsg 371:recvfrom 372:recvmsg
373:shutdown 377:copy_file_range 383:statx 386:rseq 403:clock_gettime64 407:clock_nanosleep_time64
412:utimensat_time64 413:pselect6_time64 414:ppoll_time64 422:futex_time64 424:pidfd_send_signal
434:pidfd_open 435:clone3 436:close_range 437:openat2 439:faccessat2 441:epoll_pwait2`;

/** The named i386 system calls by number. */
export const SYSCALL_NAMES: ReadonlyMap<number, string> = new Map(
  SYSCALLS_I386.trim()
    .split(/\s+/)
    .map((pair) => {
      const [n, name] = pair.split(':');
      return [Number(n), name!] as const;
    }),
);

/** "write", or "system call 999" for one this table does not name. */
export function syscallName(n: number): string {
  return SYSCALL_NAMES.get(n) ?? `system call ${n}`;
}

/** The architecture's mnemonics for exception vectors 0-19 (SDM vol. 3, table 6-1). */
export const EXCEPTION_MNEMONICS: Readonly<Record<number, string>> = {
  0: '#DE',
  1: '#DB',
  2: 'NMI',
  3: '#BP',
  4: '#OF',
  5: '#BR',
  6: '#UD',
  7: '#NM',
  8: '#DF',
  9: 'coprocessor segment overrun',
  10: '#TS',
  11: '#NP',
  12: '#SS',
  13: '#GP',
  14: '#PF',
  16: '#MF',
  17: '#AC',
  18: '#MC',
  19: '#XM',
};
