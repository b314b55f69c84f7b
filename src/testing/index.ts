// glassbox/testing: kernel testing from Node. Boot a kernel with glassbox's
// userland and run a command (runKernel), or boot once and run each test
// on a fresh fork (bootKernel), many at once (runKernelPool), read
// KTAP results (parseKtap, summarize, toJUnit), recognise a crash in a
// console (KernelLogWatch, crashesIn) and check a .config (checkConfig).

export { runKernel, kernelMachineOptions, type KernelRunOptions, type KernelRunOutcome, type KernelRunResult, type CrashReport } from './kernel-run.ts';
export { bootKernel, KernelBootError, type KernelSession } from './kernel-session.ts';
export { runKernelPool } from './pool.ts';
export { parseKtap, summarize, passed, toJUnit, type KtapReport, type KtapSummary, type KtapTest, type KtapStatus } from './ktap.ts';
export { KernelLogWatch, crashesIn, type CrashKind, type KernelCrash } from './kernel-log.ts';
export { decodeOops, type OopsDecoded } from './oops-decode.ts';
export { checkConfig, missingFromConsole, NEEDS, type ConfigNeed, type ConfigProblem } from './kernel-config.ts';
export { SystemMap } from './system-map.ts';
