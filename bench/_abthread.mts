import { Machine, nodePlatform } from '../src/api/index.ts';
import { inThreadCompiler } from '../src/core/jit/compile-job.ts';
import { cpuSample } from './boot/cpu-sample.ts';
for (let round = 0; round < 2; round++) {
  for (const [name, platform] of [['worker thread', nodePlatform], ['in thread', { ...nodePlatform, regionCompiler: inThreadCompiler }]] as const) {
    const c0 = cpuSample(); const t0 = performance.now();
    const m = await Machine.create({ clock: 'virtual', jit: 'on' }, platform);
    m.start();
    await m.waitFor('/ # ', { timeoutMs: 900000 });
    m.stop();
    const c1 = cpuSample(); const s = m.pc.core.jitStats;
    console.log(`round ${round} ${name}: main thread ${((c1.mainMs - c0.mainMs) / 1000).toFixed(2)} s CPU, process ${((c1.processMs - c0.processMs) / 1000).toFixed(2)} s CPU, wall ${((performance.now() - t0) / 1000).toFixed(1)} s; ${s.compiled} compiled, ${(s.translatedInstructions / s.instructions * 100).toFixed(0)} % of ${(s.instructions / 1e6).toFixed(0)} M translated`);
  }
}
process.exit();
