// npm run bench:disk — sequential direct-I/O throughput of the virtio-blk disk
// as the guest sees it: `dd` with oflag=direct / iflag=direct on /dev/vda, in
// glassbox and in QEMU's TCG (microvm, whose virtio-mmio slot 0 is glassbox's:
// 0xfeb00000, IRQ 5), same kernel, initramfs and a fresh sparse host file of
// the same size each, one after the other in this run. Each rate is given
// twice: by the guest's clock (/proc/uptime, 10 ms steps: coarse for a fast
// dd) and by the host's wall clock around the command (what a user waits),
// with QEMU's over glassbox's.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../src/api/index.ts';
import { CMDLINE, MEMORY_MIB, StreamConsole } from './boot/console-script.ts';
import { microvmDiskArgs } from '../test/support/qemu-microvm.ts';

const MiB = 1 << 20;
const DISK_BYTES = 256 * MiB;
/** What each dd moves. */
const COUNT = Number(process.env.GLASSBOX_BENCH_DISK_MIB ?? 32);
const TIMEOUT_MS = 1_200_000;

interface Rate {
  /** Bytes a second by the guest's /proc/uptime before and after dd (Debian's busybox dd prints no byte count or time). */
  guest: number;
  /** Bytes a second by the host's clock from typing the command to its end marker. */
  wall: number;
}

function rate(out: string, wallMs: number, what: string): Rate {
  const m = /T=([\d.]+),([\d.]+)/.exec(out);
  if (!m || !/\d+\+0 records out/.test(out)) throw new Error(`${what}: dd did not finish: ${JSON.stringify(out.slice(-300))}`);
  return { guest: (COUNT * MiB) / (Number(m[2]) - Number(m[1])), wall: (COUNT * MiB) / (wallMs / 1000) };
}

/** The workload typed on the console; each result ends with a marker the shell computes. */
async function workload(con: StreamConsole): Promise<{ write: Rate; read: Rate }> {
  await con.waitFor(/glassbox: init done[\s\S]*# (\x1b\[6n)?$/, TIMEOUT_MS); // busybox sh may ask where the cursor is after its prompt
  const step = async (cmd: string, tag: string, what: string) => {
    const t0 = performance.now();
    con.write(`a=$(cut -d' ' -f1 /proc/uptime); ${cmd} 2>&1; echo T=$a,$(cut -d' ' -f1 /proc/uptime) END-$((6*7))-${tag}\n`);
    const out = await con.waitFor(new RegExp(`END-42-${tag}`), TIMEOUT_MS);
    return rate(out, performance.now() - t0, what);
  };
  const write = await step(`dd if=/dev/zero of=/dev/vda bs=1M count=${COUNT} oflag=direct`, 'w', 'write');
  const read = await step(`dd if=/dev/vda of=/dev/null bs=1M count=${COUNT} iflag=direct`, 'r', 'read');
  return { write, read };
}

async function glassbox(disk: string): Promise<{ write: Rate; read: Rate }> {
  const m = await Machine.create({ cmdline: CMDLINE, memoryMiB: MEMORY_MIB, clock: 'realtime', disks: [{ path: disk }] });
  const con = new StreamConsole((t) => m.serial.write(t));
  m.serial.on('data', (b) => con.feed(b));
  m.start();
  try {
    return await workload(con);
  } finally {
    m.stop();
  }
}

/** The same workload on QEMU's microvm with a virtio-blk disk on the same file (test/support/qemu-microvm.ts says why that machine). */
async function qemu(disk: string): Promise<{ write: Rate; read: Rate }> {
  const args = microvmDiskArgs({ disk, memoryMiB: MEMORY_MIB, append: CMDLINE });
  const q = spawn('qemu-system-i386', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const con = new StreamConsole((t) => q.stdin!.write(t));
  q.stdout!.on('data', (b: Buffer) => con.feed(b));
  const exited = new Promise<never>((_, reject) => q.on('exit', (code) => reject(new Error(`qemu-system-i386 exited (${code}) before the workload finished`))));
  try {
    return await Promise.race([workload(con), exited]);
  } finally {
    q.kill();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-disk-'));
const fresh = (name: string) => {
  const p = join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, DISK_BYTES);
  return p;
};
try {
  const g = await glassbox(fresh('glassbox.img'));
  const q = await qemu(fresh('qemu.img'));
  const mb = (r: number) => (r / 1e6).toFixed(2).padStart(8);
  console.log(`dd ${COUNT} MiB, bs=1M, direct I/O on /dev/vda (MB/s)`);
  console.log(`                     glassbox      QEMU   QEMU/glassbox`);
  for (const [name, op] of [
    ['write', 'write'],
    ['read', 'read'],
  ] as const) {
    for (const clock of ['guest', 'wall'] as const) {
      const [a, b] = [g[op][clock], q[op][clock]];
      console.log(`${`${name} (${clock} clock)`.padEnd(19)} ${mb(a)}  ${mb(b)}   ${(b / a).toFixed(2)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
