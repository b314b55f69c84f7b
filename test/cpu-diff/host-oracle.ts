// The host CPU as an oracle, whichever way this host can run the cases:
// 'native32' runs every case as a 32-bit process (native/harness.c);
// 'host64' runs the cases long-mode.ts finds mode-independent, re-encoded,
// in a 64-bit process (native/harness64.c), and maps the outcome back. Both
// are real hardware executing the bytes.

import { spawnSync } from 'node:child_process';
import { type Case, type Result, CASE_BYTES, CODE_ADDR, RESULT_BYTES, decodeResult, encodeCase } from './case.ts';
import { NativeOracle, buildHarness, nativeMemoryChanges } from './native.ts';
import { fcsFieldsOf, planLongMode, resultFrom64 } from './long-mode.ts';
import { native32, type HostFeature } from '../support/host-features.ts';
import { SUSPENDED_REP_PROBE, keepsFlagsWhenSuspended, x87Quirks, type X87Quirks } from './host-quirks.ts';
import { withHiddenPointers } from './x87-pointers.ts';

export type RunnerKind = 'native32' | 'host64';
export type Outcome = { result: Result } | { excluded: string };

/** Setting this makes the 64-bit runner unavailable too, so the corpus-only path runs on any host. */
export const FORCE_NO_HOST64 = 'GLASSBOX_NO_HOST64';

function probeHost64(): HostFeature {
  if (process.env[FORCE_NO_HOST64]) return { ok: false, reason: `${FORCE_NO_HOST64} is set` };
  if (process.arch !== 'x64' || process.platform !== 'linux') {
    return { ok: false, reason: `the 64-bit runner needs x86_64 Linux (this is ${process.platform} on ${process.arch})` };
  }
  try {
    // add eax, ebx with 2 + 3: the harness must stop at the INT3 after it with EAX = 5.
    const input = new Uint8Array(CASE_BYTES);
    encodeCase({ seed: 1, regs: [2, 0, 0, 3, 0x5800, 0, 0, 0], eflags: 0x202, code: new Uint8Array([0x01, 0xd8]), presets: [] }, new DataView(input.buffer), 0);
    const r = spawnSync(buildHarness('x86_64'), [], { input, timeout: 30_000 });
    if (r.error || r.status !== 0 || r.stdout.length !== RESULT_BYTES) {
      return { ok: false, reason: `the 64-bit harness does not run here: ${r.error ?? (r.stderr.toString().trim() || `exit status ${r.status}`)}` };
    }
    const res = decodeResult(new DataView(r.stdout.buffer, r.stdout.byteOffset, RESULT_BYTES), 0);
    if (res.vector !== 3 || res.regs[0] !== 5 || res.eip !== CODE_ADDR + 3) return { ok: false, reason: 'the 64-bit harness gave a wrong answer for add eax, ebx' };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
}

let host64Answer: HostFeature | undefined;

/** Whether the 64-bit runner works on this host; probed once per process. */
export function host64(): HostFeature {
  host64Answer ??= probeHost64();
  return host64Answer;
}

/** The runner this host offers, the full one first, or why there is none. */
export function bestRunner(): { kind: RunnerKind } | { reason: string } {
  if (native32().ok) return { kind: 'native32' };
  const h = host64();
  if (h.ok) return { kind: 'host64' };
  const n = native32();
  return { reason: `${n.ok ? '' : n.reason}; ${h.reason}` };
}

export function runnerAvailable(kind: RunnerKind): HostFeature {
  return kind === 'native32' ? native32() : host64();
}

/** Where this host's CPU may differ from glassbox within what the SDM allows (host-quirks.ts). */
export interface HostQuirks {
  x87: X87Quirks;
  suspendedRepKeepsFlags: boolean;
}

export class HostOracle {
  private constructor(
    readonly kind: RunnerKind,
    private readonly native: NativeOracle,
    readonly quirks: HostQuirks,
  ) {}

  static async start(kind: RunnerKind): Promise<HostOracle> {
    const f = runnerAvailable(kind);
    if (!f.ok) throw new Error(`the ${kind} runner is not available: ${f.reason}`);
    const native = await NativeOracle.start(kind === 'native32' ? 'i386' : 'x86_64');
    const oracle = new HostOracle(kind, native, { x87: x87Quirks(), suspendedRepKeepsFlags: false });
    const [probe] = await oracle.run([SUSPENDED_REP_PROBE]);
    if ('excluded' in probe) throw new Error(`the ${kind} runner cannot run the suspended-REP probe: ${probe.excluded}`);
    oracle.quirks.suspendedRepKeepsFlags = keepsFlagsWhenSuspended(probe.result);
    return oracle;
  }

  /**
   * A generated case as both sides must run it on this host: on a CPU that
   * stores x87 pointer fields differently, with those fields of its FNSAVE,
   * FNSTENV and FXSAVE images marked to be cleared (x87-pointers.ts); else as it is.
   */
  prepare(c: Case): Case {
    return withHiddenPointers(c, this.quirks.x87);
  }

  /** Runs the cases on the host CPU: each one's 32-bit outcome, or why this runner cannot give it. */
  async run(cases: Case[]): Promise<Outcome[]> {
    if (this.kind === 'native32') {
      const told = cases.map((c) => {
        const fcsFields = fcsFieldsOf(c);
        return fcsFields ? { ...c, fcsFields } : c;
      });
      return (await this.native.run(told)).map((result) => ({ result }));
    }
    const plans = cases.map(planLongMode);
    const runnable = plans.flatMap((p) => ('excluded' in p ? [] : [p]));
    const results = await this.native.run(runnable.map((p) => p.case));
    let k = 0;
    return plans.map((p) => {
      if ('excluded' in p) return p;
      const r = resultFrom64(results[k++], p);
      return 'excluded' in r ? r : { result: r };
    });
  }

  close(): Promise<void> {
    return this.native.close();
  }
}

/** The u32 words of the data and stack pages `c` changes on the host, as "address: before -> after". */
export function hostMemoryChanges(c: Case, kind: RunnerKind): string[] {
  if (kind === 'native32') return nativeMemoryChanges(c, 'i386');
  const p = planLongMode(c);
  if ('excluded' in p) throw new Error(`the 64-bit runner cannot run this case: ${p.excluded}`);
  return nativeMemoryChanges(p.case, 'x86_64');
}
