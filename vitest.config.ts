import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { compilePoolOption } from './src/core/jit/compile-pool.ts';
import { useRunTmpdir } from './test/support/run-tmpdir.ts';

// The suite in tiers, by what a test needs besides Node (README, "The proof"):
// `npm run test:unit` needs nothing else and answers in under a minute;
// system needs QEMU, web needs Chromium, guest boots Linux on glassbox.
// `npm test` runs them all. A test file is in the guest tier unless it is
// listed in another, so a new file can never fall out of `npm test`.
const UNIT = [
  'test/cpu/**/*.test.ts',
  'test/isa/**/*.test.ts',
  'test/devices/**/*.test.ts',
  'test/cpu-diff.test.ts',
  'test/cpu-diff/host-repeat.test.ts',
  'test/boot/linux-boot.test.ts',
  'test/api/run-loop-alive.test.ts',
  'test/jit/compile-thread-exit.test.ts',
  'test/jit/branch-hints.test.ts',
  'test/harness/run-tmpdir.test.ts',
  'test/containers/store/**/*.test.ts',
  'test/daemon/**/*.test.ts',
  'test/containers/build-context.test.ts',
  'test/containers/store-cli-hardening.test.ts',
  'test/containers/store-races.test.ts',
  'test/containers/pid-lock.test.ts',
  'test/machine/state.test.ts',
  'test/snapshot/refused.test.ts',
  'test/snapshot/fresh-core.test.ts',
  'test/storage/forkable-disk.test.ts',
  'test/inspect/names.test.ts',
  'test/inspect/fpu-view.test.ts',
  'test/guest-images/artifacts.test.ts',
  'test/testing/kernel-config.test.ts',
  'test/testing/kernel-log.test.ts',
  'test/testing/ktap.test.ts',
  'test/cli/go-template.test.ts',
  'test/cli/log-times.test.ts',
  'test/cli/sized-process.test.ts',
  'test/containers/guest-scripts-lint.test.ts',
  'test/containers/proc-files.test.ts',
  'test/containers/steps.test.ts',
  'test/docs/**/*.test.ts',
  'test/net/user-net.test.ts',
  'test/net/publish.test.ts',
  'test/net/http1.test.ts',
  'test/net/port-relay.test.ts',
  'test/net/page-ports.test.ts',
];
const SYSTEM = ['test/system/**/*.test.ts', 'test/boot/multiboot.test.ts', 'test/guest-images/qemu.test.ts'];
const WEB = ['test/web/**/*.test.ts'];
const ALL = ['test/**/*.test.ts'];

// Before any test process starts: they inherit the run's temporary directory.
useRunTmpdir();

export default defineConfig({
  test: {
    testTimeout: 120_000,
    // The slowest hooks boot the guest: 78 s measured for the agent test's
    // (test/guest-images/agent.test.ts) on 2 cores at load 12; the hooks'
    // own deadlines (a boot's agentReady) name what is late before this.
    hookTimeout: 180_000,
    pool: 'forks',
    // The test processes run guests on their main threads: V8's pool sized so its compilations leave them a core (compile-pool.ts).
    execArgv: [compilePoolOption()],
    // Every tier tests what the sources say: a stale core or CLI bundle is rebuilt first.
    globalSetup: ['test/support/fresh-build.ts'],
    projects: [
      // Vitest leaves one core free by default, which on a 2-core machine
      // runs the unit tier's files one at a time; they boot nothing, so
      // every core can take one. (Vitest runs projects of different worker
      // counts one after the other: the unit tier first, then the rest.)
      { extends: true, test: { name: 'unit', include: UNIT, maxWorkers: availableParallelism(), sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'system', include: SYSTEM, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'web', include: WEB, sequence: { groupOrder: 1 } } },
      // The guest tier's files resume the booted guest from one cached snapshot where a boot is not what they test.
      { extends: true, test: { name: 'guest', include: ALL, exclude: [...UNIT, ...SYSTEM, ...WEB], globalSetup: ['test/support/fresh-build.ts', 'test/support/global-setup.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
