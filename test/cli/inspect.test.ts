// glassbox inspect as a user runs it with no engine running: the bundled CLI
// booting the default guest, checked against facts the guest kernel defines
// (its 3G/1G split maps physical 0 at PAGE_OFFSET 0xC0000000; init is PID 1).
// test/inspect/cli-engine-inspect.test.ts inspects the engine's guest.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-no-engine-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });

describe('glassbox inspect', () => {
  it("walks the kernel's direct map: PAGE_OFFSET + 0x123 is physical 0x123", () => {
    const r = glassbox(['inspect', 'mmu', '0xc0000123', '--supervisor', '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('glassbox: inspecting a guest booted for this command');
    const w = JSON.parse(r.stdout);
    expect(w.mode).toBe('32-bit');
    expect(w.physical).toBe(0x123);
    expect(w.fault).toBeNull();
  }, 600_000);

  it('lists guest processes with the namespaces of init', () => {
    const r = glassbox(['inspect', 'ps', '--run', 'true']);
    expect(r.status).toBe(0);
    const init = r.stdout.split('\n').find((l) => /^1\s+0\s+init\s/.test(l));
    expect(init).toMatch(/^1\s+0\s+init\s+\d+\s+40265\d{5}\s+40265\d{5}\s+40265\d{5}/);
    expect(r.stdout).toMatch(/glassbox-agent/);
  }, 600_000);

  it('refuses an address that is not one, without booting', () => {
    const r = glassbox(['inspect', 'mmu', 'nowhere']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('give a 32-bit address');
  });

  it('refuses an unknown trace kind, naming the kinds', () => {
    const r = glassbox(['inspect', 'trace', '--kind', 'syscall,teleport']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('unknown trace kind "teleport"');
  });
});
