// glassbox kernel check-config on real kernel configurations: the project's
// guest kernel (everything), Debian's stock 686 kernel (boots; overlayfs is a
// module the initramfs cannot load), and the project's with its serial
// console taken out (cannot boot the userland).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/testing/kernel-config.ts';

const root = join(import.meta.dirname, '../..');
const ours = readFileSync(join(root, 'guest-images/kernel/config'), 'utf8');
const debianDir = join(root, 'build/debian-kernel');
const debianConfig = (() => {
  try {
    const f = readdirSync(debianDir).find((n) => n.startsWith('config-'));
    return f ? readFileSync(join(debianDir, f), 'utf8') : undefined;
  } catch {
    return undefined;
  }
})();

describe('kernel check-config', () => {
  it("finds everything glassbox's userland needs in the project's own kernel config", () => {
    expect(checkConfig(ours)).toEqual([]);
  });

  it('names the serial console when it is missing, as a boot need', () => {
    const without = ours.replace(/^CONFIG_SERIAL_8250_CONSOLE=y$/m, '# CONFIG_SERIAL_8250_CONSOLE is not set');
    expect(without).not.toBe(ours);
    const problems = checkConfig(without);
    expect(problems.map((p) => [p.need.option, p.state, p.need.for])).toEqual([['SERIAL_8250_CONSOLE', 'missing', 'boot']]);
  });

  it.skipIf(!debianConfig)("reads Debian's 686 config: it boots the userland, and overlayfs is only a module", () => {
    const problems = checkConfig(debianConfig!);
    expect(problems.filter((p) => p.need.for === 'boot')).toEqual([]);
    expect(problems.map((p) => [p.need.option, p.state])).toContainEqual(['OVERLAY_FS', 'module']);
  });

  it('refuses a file that is not a kernel config', () => {
    expect(() => checkConfig('hello\nworld\n')).toThrow(/not a kernel \.config/);
  });
});
