// A command that starts the engine and sees it end before it listens says
// why at once (the engine's own last words from its log), instead of polling
// a socket that will never appear until the 180 s start deadline. A home
// others can write to is one such end: the engine refuses it before booting.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-open-home-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('an engine that ends while starting', () => {
  it("is reported with the engine's reason well before the start deadline", () => {
    chmodSync(home, 0o777);
    // 60 s: far under the 180 s the command would otherwise wait, far over a Node start on a busy host.
    const r = glassboxSync(['ps'], { timeoutMs: 60_000, env: { ...process.env, GLASSBOX_HOME: home } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the engine exited with status 1 before it listened');
    expect(r.stderr).toContain(`${home} is writable by others (mode 777)`);
    expect(r.stderr).toContain(join(home, 'engine.log'));
  });
});
