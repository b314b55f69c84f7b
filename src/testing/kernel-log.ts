// Reading a Linux kernel's console for the signs that it went wrong: a
// panic, an oops, a BUG or WARN, a soft lockup, an RCU stall or a hung task.
// The patterns are the kernel's own fixed wording (kernel/panic.c,
// arch/x86/mm/fault.c, lib/bug.c, kernel/watchdog.c, kernel/rcu/tree_stall.h,
// kernel/hung_task.c), which has held steady across releases.

export type CrashKind = 'panic' | 'oops' | 'bug' | 'warning' | 'soft-lockup' | 'rcu-stall' | 'hung-task';

export interface KernelCrash {
  kind: CrashKind;
  /** The line that gave it away, without its timestamp. */
  headline: string;
  /** The kernel's whole message for it: from the headline to the end of the trace (or as much as has arrived). */
  message: string;
  /** The function the kernel named as the place it happened (`sysrq_handle_crash`), when it printed one. */
  function?: string;
}

interface Sign {
  kind: CrashKind;
  pattern: RegExp;
}

// Order matters only for a line that matches two signs: the more specific first.
const SIGNS: readonly Sign[] = [
  { kind: 'soft-lockup', pattern: /\bBUG: soft lockup\b/ },
  // The stall's later lines (kthread starved, timer wakeup didn't happen) belong to this report.
  { kind: 'rcu-stall', pattern: /\brcu: INFO: \S+ (?:self-)?detected stalls? on CPUs?/ },
  { kind: 'hung-task', pattern: /\bINFO: task \S+ blocked for more than \d+ seconds/ },
  { kind: 'oops', pattern: /\bBUG: (?:unable to handle|kernel NULL pointer dereference)|\bOops: |\bgeneral protection fault\b/ },
  { kind: 'bug', pattern: /\bkernel BUG at |\bBUG: / },
  { kind: 'warning', pattern: /\bWARNING: CPU: \d+ PID: \d+ at / },
  { kind: 'panic', pattern: /\bKernel panic - not syncing\b/ },
];

/** The kind of crash a console line announces, if it announces one. */
function signOf(line: string): Sign | undefined {
  return SIGNS.find((s) => s.pattern.test(line));
}

/** A printk line without its `[   12.345678] ` timestamp. */
export const untimed = (line: string): string => line.replace(/^\s*\[\s*\d+\.\d+\]\s?/, '');

/** Where a crash report ends: the kernel's end-of-trace marker, or a panic's closing line. */
const END = /---\[ end (?:trace|Kernel panic)/;
/** At most this many lines of one report are kept (a stack trace is rarely longer). */
const MAX_REPORT_LINES = 80;

/** Frames of the reporting machinery itself, which a call trace starts with before the culprit. */
const REPORTING = /^(?:dump_stack(?:_lvl)?|show_stack|panic|__warn|warn_slowpath\w*|report_bug|handle_bug|exc_invalid_op|handle_exception|do_error_trap)$/;

/**
 * i386 prints `EIP: func+0x12/0x40`; x86_64 `RIP: 0010:func+0x12/0x40`; a WARN
 * names it on its first line. A panic has none of these: its call trace's
 * first frame past panic() and the stack dump is the one that called it.
 */
function crashFunction(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const m =
      /\b[ER]IP: (?:[0-9a-f]{4}:)?(?:\[<[0-9a-f]+>\] )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(line) ??
      /\bWARNING: CPU: \d+ PID: \d+ at \S+ ([A-Za-z_][\w.]*)\+0x/.exec(line);
    if (m) return m[1];
  }
  for (const line of lines) {
    const frame = /^\s+(?!\? )([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(line);
    if (frame && !REPORTING.test(frame[1])) return frame[1];
  }
  return undefined;
}

/**
 * Follows a console as it arrives and reports the first sign of a crash, with
 * the kernel's message for it. Feed it text in any chunks.
 */
export class KernelLogWatch {
  private pending = '';
  private report?: { kind: CrashKind; headline: string; lines: string[]; ended: boolean };

  /** Adds console text; returns the crash once its first line has been seen. */
  feed(text: string): KernelCrash | undefined {
    this.pending += text;
    const lines = this.pending.split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    for (const raw of lines) this.line(untimed(raw));
    return this.crash();
  }

  /** The first crash seen so far, its message as complete as the console has made it. */
  crash(): KernelCrash | undefined {
    const r = this.report;
    if (!r) return undefined;
    const lines = this.pending && !r.ended ? [...r.lines, untimed(this.pending)] : r.lines;
    const fn = crashFunction(lines);
    return { kind: r.kind, headline: r.headline, message: lines.join('\n'), ...(fn ? { function: fn } : {}) };
  }

  /** Whether the first crash's report has reached its end marker. */
  get complete(): boolean {
    return this.report?.ended ?? false;
  }

  private line(line: string): void {
    const r = this.report;
    if (r) {
      if (r.ended || r.lines.length >= MAX_REPORT_LINES) return;
      r.lines.push(line);
      if (END.test(line)) r.ended = true;
      return;
    }
    const sign = signOf(line);
    if (!sign) return;
    // The console may have had other output (a shell prompt) on the line before the kernel's message began.
    const from = line.slice(line.search(sign.pattern));
    this.report = { kind: sign.kind, headline: from.trim(), lines: [from], ended: sign.kind === 'panic' && END.test(from) };
  }
}

/** Every crash in a whole log, one per announcing line: for checking a finished boot's log. */
export function crashesIn(log: string): KernelCrash[] {
  const found: KernelCrash[] = [];
  let watch: KernelLogWatch | undefined;
  for (const raw of log.split(/\r?\n/)) {
    if (signOf(untimed(raw))) {
      if (watch) found.push(watch.crash()!);
      watch = new KernelLogWatch();
    }
    watch?.feed(raw + '\n');
  }
  if (watch) found.push(watch.crash()!);
  return found;
}
