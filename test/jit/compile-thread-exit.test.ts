// The translator's compile thread (thread-compiler.ts) and the life of its
// process: a job waiting on the thread keeps a process up until it is
// answered, and once none waits the thread keeps nothing up. The thread was
// unref'd before its 'message' listener was added, which refs the port
// again: a process that had compiled one region never exited (and one that
// only awaited a job, with the port unref'd, would exit with status 13 and
// the job unanswered).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));

describe('the compile thread', () => {
  it('answers a job in a process with nothing else to wait for, then lets it end', () => {
    const script = [
      `const { threadCompiler } = await import(${source('../../src/core/jit/thread-compiler.ts')});`,
      `const { CORE_LAYOUT } = await import(${source('../../src/core/core.ts')});`,
      // INC EAX; JMP to the INC: one block that loops on itself.
      'const page = new Uint8Array(4096); page.set([0x40, 0xeb, 0xfd]);',
      'const r = await threadCompiler.compile({ page, entry: 0, layout: CORE_LAYOUT, user: false, compiled: [] });',
      "console.log(`compiled: ${r.module instanceof WebAssembly.Module}, blocks at ${r.entries.join(',')}`);",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull(); // not killed at the deadline: it ended by itself
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('compiled: true, blocks at 0\n');
    expect(r.status).toBe(0);
  });
});
