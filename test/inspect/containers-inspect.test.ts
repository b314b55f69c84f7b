// The containers view on the real guest: two containers made by the engine,
// their namespaces, cgroup and processes read back from the guest kernel.

import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell } from '../../src/containers/engine/guest-shell.ts';
import { ContainerEngine } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';
import { containersView } from '../../src/inspect/containers.ts';

describe('the containers view', () => {
  it('shows each container\'s own pid/uts/mnt namespaces, next to the guest\'s, with its cgroup limit and its PIDs inside and out', async () => {
    const shell = machineShell(await bootDefaultGuest());
    const engine = new ContainerEngine(shell, ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-'))));
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'a' });
    await engine.run('busybox', { cmd: ['sleep', '1000'], detach: true, name: 'b', memory: 16 << 20 });
    const views = await containersView(engine, shell);
    expect(views.map((v) => v.name).sort()).toEqual(['a', 'b']);
    const [a, b] = ['a', 'b'].map((n) => views.find((v) => v.name === n)!);
    for (const ns of ['pid', 'uts', 'mnt'] as const) {
      const inodes = [a.namespaces[ns]!.container, b.namespaces[ns]!.container, a.namespaces[ns]!.guest];
      expect(inodes.every((i) => typeof i === 'number' && i > 0)).toBe(true);
      expect(new Set(inodes).size).toBe(3);
      expect(b.namespaces[ns]!.guest).toBe(a.namespaces[ns]!.guest);
    }
    for (const v of [a, b]) {
      const sleep = v.processes.find((p) => p.name === 'sleep')!;
      expect(sleep.pidInContainer).toBe(1);
      expect(sleep.pidInGuest).toBeGreaterThan(1);
      expect(v.cgroup!.procs).toBeGreaterThanOrEqual(1);
    }
    expect(b.cgroup!.memoryMax).toBe(String(16 << 20));
    expect(a.cgroup!.memoryMax).toBe('max');
  }, 600_000);
});
