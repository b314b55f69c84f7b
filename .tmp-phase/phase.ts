// temporary, not committed: per-phase host time, CPU and guest instructions of an engine start + run
import { mkdtempSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine } from '../src/daemon/start-engine.ts';
import { ImageStore } from '../src/containers/store/image-store.ts';
import { unmountEngineDisk } from '../src/containers/engine/disk.ts';
import { Machine } from '../src/api/machine.ts';
import * as gs from '../src/containers/engine/guest-shell.ts';

const home = process.env.GLASSBOX_HOME!;
const t0 = performance.now();
const c0 = process.cpuUsage();
let machineRef: Machine | undefined;
const line = (what: string, t: number, c: NodeJS.CpuUsage, i: bigint) => {
  const cu = process.cpuUsage(c);
  console.log(`${(performance.now() - t0).toFixed(0).padStart(6)} ${(performance.now() - t).toFixed(0).padStart(6)}ms cpu ${((cu.user + cu.system) / 1000).toFixed(0).padStart(5)}ms  ${((Number((machineRef?.instructions ?? 0n) - i)) / 1e6).toFixed(1).padStart(7)}M insns  ${what}`);
};
const orig = gs.machineShell;
const wrapped = (m: Machine) => {
  machineRef = m;
  const sh = orig(m);
  const run = sh.run.bind(sh);
  sh.run = async (cmd, opts) => {
    const t = performance.now(); const c = process.cpuUsage(); const i = m.instructions;
    try { return await run(cmd, opts); } finally { line(String(cmd).replace(/\s+/g, ' ').slice(0, 70), t, c, i); }
  };
  return sh;
};
const origExec = Machine.prototype.exec;
Machine.prototype.exec = async function (this: Machine, cmd: string, opts?: any) {
  machineRef = this;
  const t = performance.now(); const c = process.cpuUsage(); const i = this.instructions;
  try { return await origExec.call(this, cmd, opts); } finally { line('  exec ' + String(cmd).replace(/\s+/g, ' ').slice(0, 70), t, c, i); }
} as any;
const origStart = Machine.prototype.start;
Machine.prototype.start = function (this: Machine) { line('restored, starting', t0, c0, 0n); return origStart.call(this); };
// startEngine imports machineShell by name; patch via the module namespace is not possible in ESM, so time the whole start instead
const t = performance.now(); const c = process.cpuUsage();
const { shell, engine, stop, machine } = await startEngine(home, ImageStore.open(home), 'realtime', (l) => console.error(l));
machineRef = machine;
line('startEngine (restore + start scripts)', t, c, 0n);
const t2 = performance.now(); const c2 = process.cpuUsage(); const i2 = machine.instructions;
const r = await engine.run('busybox', { cmd: ['echo', 'ran'], rm: true });
line(`run -> ${JSON.stringify(r.stdout)}`, t2, c2, i2);
line('total', t0, c0, 0n);
await unmountEngineDisk(shell);
await stop();
