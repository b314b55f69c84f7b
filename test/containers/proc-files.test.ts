// The host's reading of /proc files the guest sends as they are
// (proc-files.ts, top/info/isolation in guest-scripts.ts), on text captured
// from the booted default guest (fixtures/guest-proc/README.md says how).
// The expected values are what the capture script started, and for info
// what the shell pipelines the guest used to run (grep, cut, sed, tr) print
// on the same files, run here by the host's own tools.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestInfo, isolationFacts, topProcesses } from '../../src/containers/engine/guest-scripts.ts';
import { meminfoKiB, sections } from '../../src/containers/engine/proc-files.ts';

const DIR = new URL('fixtures/guest-proc/', import.meta.url).pathname;
const captured = (name: string) => readFileSync(join(DIR, name), 'utf8');

/** A shell pipeline run by the host's tools on a section of a capture, as the guest once ran it. */
function pipeline(section: string, command: string): string {
  return execFileSync('sh', ['-c', command], { input: section, encoding: 'utf8' }).trim();
}

describe('guest /proc read on the host', () => {
  it('top: each process of the cgroups with its uid, parent and command line, the arguments as given', () => {
    expect(topProcesses(captured('top.out'))).toEqual([
      { pid: 57, uid: 0, ppid: 55, args: 'sleep 1000' },
      { pid: 58, uid: 0, ppid: 55, args: 'sh -c sleep 998; : two words' },
      { pid: 62, uid: 0, ppid: 58, args: 'sleep 998' },
    ]);
  });

  it('top: a kernel thread, with no command line, shows as [NAME]', () => {
    expect(topProcesses(captured('kthread.out'))).toEqual([{ pid: 2, uid: 0, ppid: 0, args: '[kthreadd]' }]);
  });

  it('top: a process that ended between the listing and the reading is left out', () => {
    const out = captured('top.out');
    // What gb_file prints for a /proc/PID/status that is gone: its header and nothing.
    expect(topProcesses(`${out}\0@ /proc/99/status\n\0@ /proc/99/cmdline\n`).map((p) => p.pid)).toEqual([57, 58, 62]);
  });

  it("info: the same facts as the guest's old grep/cut/sed pipelines on the same files", () => {
    const out = captured('info.out');
    const s = sections(out);
    const cpuinfo = s.get('/proc/cpuinfo')!;
    expect(guestInfo(out)).toEqual({
      kernel: '6.1.192',
      os: 'Linux i686',
      cpu: pipeline(cpuinfo, "grep -m1 '^model name' | cut -d: -f2- | sed 's/^ //'"),
      cpus: pipeline(cpuinfo, 'grep -c ^processor'),
      memory: pipeline(s.get('/proc/meminfo')!, "grep MemTotal | tr -s ' ' | cut -d' ' -f2"),
      cgroup: pipeline(s.get('/proc/mounts')!, "grep -q '^cgroup2 /sys/fs/cgroup ' && echo 2 || echo 1"),
      crun: pipeline(s.get('crun')!, 'head -1'),
      overlay: pipeline(s.get('/proc/filesystems')!, 'grep -c overlay'),
    });
    // The CPU the core's CPUID names, as the kernel reports it.
    expect(guestInfo(out).cpu).toBe('Pentium 4 (Foster)');
  });

  it('meminfo: a figure in KiB, as the old pipeline read it', () => {
    const text = captured('meminfo');
    expect(meminfoKiB(text, 'MemAvailable')).toBe(Number(pipeline(text, "grep '^MemAvailable:' | tr -s ' ' | cut -d' ' -f2")));
    expect(meminfoKiB(text, 'NoSuchField')).toBeUndefined();
  });

  it("isolation: each namespace next to init's, the PID in the guest and inside its own PID namespace, the cgroup", () => {
    const pid = Number(captured('isolation.pid'));
    const f = isolationFacts(captured('isolation.out'), pid);
    // unshare -u -p: new PID and UTS namespaces, the rest shared with init.
    for (const [n, ns] of Object.entries(f.namespaces)) {
      expect(ns.container, n).toMatch(new RegExp(`^${n}:\\[\\d+\\]$`));
      expect(ns.container === ns.guest, n).toBe(!['pid', 'uts'].includes(n));
    }
    expect([f.pidInGuest, f.pidInside, f.cgroup]).toEqual([pid, 1, '/']);
  });
});
