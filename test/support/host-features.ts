// What the host can do for the tests, found by trying it rather than by
// guessing from the kernel version or the architecture name.
//
// The live oracles for instruction semantics run 32-bit x86 programs on the
// host. Many x86_64 kernels refuse them (ia32_emulation=0, WSL1, PVM and
// other paravirtualised guests), and ARM hosts cannot run them at all, so
// every test that needs one asks `native32()` and skips with its reason.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A host feature: present, or absent with a one-line reason a skip can print. */
export type HostFeature = { ok: true } | { ok: false; reason: string };

/** Setting this forces the "no 32-bit execution" path, so its tests run on any host. */
export const FORCE_NO_NATIVE32 = 'GLASSBOX_NO_NATIVE32';

const PROBE_STATUS = 42;
const LOAD_ADDRESS = 0x08048000;

/**
 * The smallest static i386 ELF executable: one loadable segment whose code is
 * `mov ebx, 42; mov eax, 1 (exit); int 0x80`. Built here from the ELF and
 * i386 ABI layouts so the probe needs no compiler.
 */
function probeImage(): Uint8Array {
  const code = [0xbb, PROBE_STATUS, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xcd, 0x80];
  const headerBytes = 52;
  const phdrBytes = 32;
  const size = headerBytes + phdrBytes + code.length;
  const image = new Uint8Array(size);
  const v = new DataView(image.buffer);
  image.set([0x7f, 0x45, 0x4c, 0x46, 1 /* 32-bit */, 1 /* little-endian */, 1 /* ELF version */]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setUint32(24, LOAD_ADDRESS + headerBytes + phdrBytes, true); // entry: the code after the headers
  v.setUint32(28, headerBytes, true); // program headers right after this header
  v.setUint16(40, headerBytes, true);
  v.setUint16(42, phdrBytes, true);
  v.setUint16(44, 1, true); // one program header
  const ph = headerBytes;
  v.setUint32(ph + 0, 1, true); // PT_LOAD
  v.setUint32(ph + 4, 0, true); // from file offset 0
  v.setUint32(ph + 8, LOAD_ADDRESS, true);
  v.setUint32(ph + 12, LOAD_ADDRESS, true);
  v.setUint32(ph + 16, size, true);
  v.setUint32(ph + 20, size, true);
  v.setUint32(ph + 24, 5, true); // PF_R | PF_X
  v.setUint32(ph + 28, 0x1000, true);
  image.set(code, headerBytes + phdrBytes);
  return image;
}

function probeNative32(): HostFeature {
  if (process.env[FORCE_NO_NATIVE32]) return { ok: false, reason: `${FORCE_NO_NATIVE32} is set` };
  if (process.arch !== 'x64' && process.arch !== 'ia32') {
    return { ok: false, reason: `this host cannot run 32-bit x86 code (it is ${process.arch})` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-probe-'));
  try {
    const file = join(dir, 'exit42');
    writeFileSync(file, probeImage());
    chmodSync(file, 0o755);
    const r = spawnSync(file, [], { timeout: 10_000 });
    if (r.status === PROBE_STATUS) return { ok: true };
    // libuv reports a refused exec (ENOEXEC) as the child's exit status 127.
    const how = r.error
      ? `failed to start: ${(r.error as NodeJS.ErrnoException).code ?? String(r.error)}`
      : r.status === 127
        ? 'was refused by the kernel (exit status 127)'
        : `exited with status ${r.status}, not ${PROBE_STATUS}`;
    return { ok: false, reason: `this host cannot run 32-bit x86 code (a static i386 program ${how})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let native32Answer: HostFeature | undefined;

/** Whether this host executes 32-bit x86 programs natively; probed once per process. */
export function native32(): HostFeature {
  native32Answer ??= probeNative32();
  return native32Answer;
}

/** The reason to skip a test that needs native 32-bit execution, or false when it can run. */
export function skipWithoutNative32(): string | false {
  const f = native32();
  return f.ok ? false : `needs native 32-bit x86 execution: ${f.reason}`;
}

/**
 * Whether this process may mount a small tmpfs in a mount namespace of its
 * own (`unshare -m`: root, or a container that allows it). The mount is seen
 * by nothing else and goes with the namespace's last process, so the host
 * is unchanged: a real file system that fills up, for the full-disk tests.
 */
export function privateTmpfs(): HostFeature {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-probe-tmpfs-'));
  try {
    const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs "$0" && mountpoint -q "$0"', dir], { encoding: 'utf8', timeout: 10_000 });
    if (r.error) return { ok: false, reason: `unshare could not run: ${r.error.message}` };
    return r.status === 0 ? { ok: true } : { ok: false, reason: `no tmpfs in a private mount namespace here: ${(r.stderr || `status ${r.status}`).trim()}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
