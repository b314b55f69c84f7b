// The run loop yields to the event loop between slices. A Node process whose
// only work is the guest (`glassbox bench`, a script around Machine) must stay
// alive through those yields: an unref'd MessageChannel let Node exit with a
// yield still pending, silently, with status 13 and the guest's work undone.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const YIELD = fileURLToPath(new URL('../../src/api/yield.ts', import.meta.url));

describe('the run loop between slices', () => {
  it('keeps a process with nothing else to wait for alive until its work is done', () => {
    const script = [
      `const { yieldToEvents } = await import(${JSON.stringify(YIELD)});`,
      'let n = 0;',
      'for (; n < 10000; n++) await yieldToEvents();',
      'console.log(`yielded ${n} times`);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('yielded 10000 times\n');
    expect(r.status).toBe(0);
  });
});
