// Guest files (/proc's above all) and command outputs sent to the host as
// they are, and cut there: the guest prints each under a header line "\0@
// NAME" (no text file of /proc holds a NUL, so no content can pass for a
// header), a binary file as od's hex bytes; the functions below read them.
// Parsing in TypeScript keeps the guest side to cat and od, and the parsing
// testable on captured guest output (test/containers/proc-files.test.ts).

import { code } from '../../api/shell-script.ts';

/**
 * gb_section NAME prints the header the next part of the output goes under;
 * gb_file PATH a text file under its path, with shell builtins only (no
 * process per file, so a scan of every process costs none; a file that cannot
 * be read gives an empty section, and no failure: a process's files vanish
 * when it exits, which it may do at any moment); gb_hex PATH a file that may
 * hold NULs, as hex bytes.
 */
export const SECTIONS = code(`gb_section() { printf '\\0@ %s\\n' "$1"; }
gb_file() { gb_section "$1"; while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done 2>/dev/null < "$1" || :; }
gb_hex() { gb_section "$1"; od -An -v -tx1 "$1" 2>/dev/null || :; }`);

/** The sections of gb_section's output by name, in order. */
export function sections(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of out.split('\0@ ').slice(1)) {
    const nl = part.indexOf('\n');
    m.set(nl < 0 ? part : part.slice(0, nl), nl < 0 ? '' : part.slice(nl + 1));
  }
  return m;
}

/** od's hex bytes (gb_hex) back as bytes. */
export function hexBytes(od: string): Uint8Array {
  const words = od.split(/\s+/).filter(Boolean);
  return Uint8Array.from(words, (w) => Number.parseInt(w, 16));
}

/** A process's command line from its /proc/PID/cmdline bytes: the NUL-ended arguments (a kernel thread has none). */
export function cmdlineArgs(bytes: Uint8Array): string[] {
  const args = new TextDecoder().decode(bytes).split('\0');
  // The last argument ends in a NUL; a process that rewrote its arguments may leave several.
  while (args.length && args[args.length - 1] === '') args.pop();
  return args;
}

/** "Key:<tab>value" files (/proc/PID/status, /proc/meminfo) as a record, values trimmed. */
export function colonFields(text: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) r[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return r;
}

/** /proc/PID/status figures top and inspect use; undefined for a process that ended before its file was read. */
export function procStatus(text: string): { name: string; ppid: number; uid: number; nspid: number[]; rssKiB: number } | undefined {
  const f = colonFields(text);
  if (f.Pid === undefined) return undefined;
  const numbers = (v = '') => v.split(/\s+/).filter(Boolean).map(Number);
  // Uid: real, effective, saved, filesystem; ps shows the real one.
  // A kernel thread has no VmRSS.
  return { name: f.Name ?? '', ppid: Number(f.PPid), uid: numbers(f.Uid)[0] ?? 0, nspid: numbers(f.NSpid), rssKiB: numbers(f.VmRSS)[0] ?? 0 };
}

/** A /proc/meminfo figure in KiB. */
export function meminfoKiB(text: string, key: string): number | undefined {
  const v = colonFields(text)[key];
  return v === undefined ? undefined : Number(v.replace(/ kB$/, ''));
}

/** /proc/cpuinfo: the first processor's model name and the number of processors. */
export function cpuinfo(text: string): { model: string; count: number } {
  const blocks = text.split(/\n\s*\n/).filter((b) => b.trim());
  return { model: colonFields(blocks[0] ?? '')['model name'] ?? '', count: blocks.filter((b) => /^processor\s*:/m.test(b)).length };
}

/** The cgroup of a process in the v2 hierarchy, from /proc/PID/cgroup ("0::PATH"). */
export function cgroupV2Path(text: string): string {
  return /^0::(.*)$/m.exec(text)?.[1] ?? '';
}
