// A kernel test with glassbox as a library: boot a kernel with glassbox's
// userland, run a command through the guest agent, check what it said.
// Run: node kernel-test.mjs [bzImage]   (glassbox's own kernel when none is given)

import { runKernel } from 'glassbox/testing';

const kernel = process.argv[2];
const r = await runKernel({ kernel, command: 'uname -r && grep -c processor /proc/cpuinfo', timeoutMs: 120_000 });
if (r.outcome.how !== 'exited') {
  console.error(`the kernel run ended without a result: ${r.outcome.how}`);
  process.exit(1);
}
const [release, cpus] = r.outcome.stdout.trim().split('\n');
console.log(`kernel ${release}, ${cpus} CPU, status ${r.outcome.exitCode}, ${(r.guestMs / 1000).toFixed(1)} s of guest time`);
process.exit(r.outcome.exitCode);
