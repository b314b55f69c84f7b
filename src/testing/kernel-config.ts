// What a kernel needs to run glassbox's userland (the default initramfs:
// busybox, the guest agent on ttyS1, crun), checked in a .config before a
// build, and what a boot's console says when one of them was missing.

export interface ConfigNeed {
  /** The option, without CONFIG_. */
  option: string;
  /** What goes wrong without it. */
  why: string;
  /** 'boot': glassbox cannot run a command at all; 'containers': only the container engine fails. */
  for: 'boot' | 'containers';
  /** Any one of these options also satisfies the need (an alternative that implies it). */
  or?: string[];
}

export const NEEDS: readonly ConfigNeed[] = [
  { option: 'X86_32', why: 'glassbox emulates a 32-bit x86 PC', for: 'boot' },
  { option: 'SERIAL_8250', why: 'the console is COM1 (ttyS0) and the guest agent talks on COM2 (ttyS1), both 8250/16550 UARTs', for: 'boot' },
  { option: 'SERIAL_8250_CONSOLE', why: 'without it console=ttyS0 shows nothing: no kernel log, no crash report', for: 'boot' },
  { option: 'BLK_DEV_INITRD', why: 'the userland is an initramfs', for: 'boot' },
  { option: 'RD_GZIP', why: 'the default initramfs is gzip-compressed', for: 'boot' },
  { option: 'BINFMT_ELF', why: 'busybox and the agent are ELF programs', for: 'boot' },
  { option: 'BINFMT_SCRIPT', why: '/init is a shell script', for: 'boot' },
  { option: 'DEVTMPFS', why: '/init mounts devtmpfs on /dev', for: 'boot' },
  { option: 'TMPFS', why: '/init copies the root into a tmpfs (crun cannot pivot_root out of an initramfs)', for: 'boot', or: ['SHMEM'] },
  { option: 'PROC_FS', why: 'the agent and busybox read /proc', for: 'boot' },
  { option: 'SYSFS', why: 'cgroup v2 and device nodes live under /sys', for: 'boot' },
  { option: 'UNIX98_PTYS', why: 'the agent gives commands a pty (exec -t)', for: 'boot' },
  { option: 'FUTEX', why: 'the C library needs futexes', for: 'boot' },
  { option: 'NAMESPACES', why: 'containers are namespaces', for: 'containers' },
  { option: 'PID_NS', why: 'each container has its own PID namespace', for: 'containers' },
  { option: 'UTS_NS', why: 'each container has its own hostname', for: 'containers' },
  { option: 'IPC_NS', why: 'each container has its own System V IPC', for: 'containers' },
  { option: 'NET_NS', why: 'containers run with their own network namespace', for: 'containers' },
  { option: 'CGROUPS', why: 'limits are cgroup v2', for: 'containers' },
  { option: 'MEMCG', why: '--memory', for: 'containers' },
  { option: 'CGROUP_PIDS', why: '--pids-limit', for: 'containers' },
  { option: 'CFS_BANDWIDTH', why: '--cpus', for: 'containers' },
  { option: 'CGROUP_BPF', why: "crun's device allowlist on cgroup v2", for: 'containers' },
  { option: 'OVERLAY_FS', why: 'a container root is an overlay of its image layers', for: 'containers' },
  { option: 'SECCOMP_FILTER', why: "crun applies the container's seccomp profile", for: 'containers' },
];

/** The options a `.config` sets (`CONFIG_X=y` or `=m`; a module counts: the initramfs can load it only if it ships it, so it is reported). */
export function parseConfig(text: string): Map<string, string> {
  const set = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^CONFIG_(\w+)=(.*)$/.exec(line.trim());
    if (m) set.set(m[1], m[2]);
  }
  return set;
}

export interface ConfigProblem {
  need: ConfigNeed;
  /** 'missing', or 'module' when it is built as a module the default initramfs does not carry. */
  state: 'missing' | 'module';
}

/** The needs a `.config` does not meet, boot needs first. */
export function checkConfig(text: string): ConfigProblem[] {
  const set = parseConfig(text);
  if (set.size === 0) throw new Error('this is not a kernel .config: it sets no CONFIG_ options');
  const problems: ConfigProblem[] = [];
  for (const need of NEEDS) {
    const states = [need.option, ...(need.or ?? [])].map((o) => set.get(o));
    if (states.includes('y')) continue;
    problems.push({ need, state: states.includes('m') ? 'module' : 'missing' });
  }
  return problems.sort((a, b) => (a.need.for === b.need.for ? 0 : a.need.for === 'boot' ? -1 : 1));
}

/** Console symptoms of a kernel that booted without something the userland needs. */
const SYMPTOMS: readonly { pattern: RegExp; options: string[] }[] = [
  {
    pattern: /VFS: Unable to mount root fs|No filesystem could mount root|Initramfs unpacking failed|invalid magic at start of compressed archive/,
    options: ['BLK_DEV_INITRD', 'RD_GZIP'],
  },
  { pattern: /Failed to execute \/init|No working init found|Requested init \/init failed/, options: ['BINFMT_SCRIPT', 'BINFMT_ELF'] },
  { pattern: /mount: mounting devtmpfs on \/newroot\/dev failed/, options: ['DEVTMPFS'] },
  { pattern: /cannot mount the tmpfs root/, options: ['TMPFS'] },
  { pattern: /can't open \/dev\/ttyS1|glassbox-agent: .*ttyS1/, options: ['SERIAL_8250'] },
];

/** The options a boot's console suggests were missing, given what it printed (nothing at all suggests no serial console). */
export function missingFromConsole(consoleText: string): string[] {
  if (!consoleText.trim()) return ['SERIAL_8250', 'SERIAL_8250_CONSOLE'];
  const found = new Set<string>();
  for (const s of SYMPTOMS) if (s.pattern.test(consoleText)) for (const o of s.options) found.add(o);
  return [...found];
}
