// Containers attached to the host while they run, on the real guest: with a
// terminal (crun's process.terminal, its pty master handed to the agent's
// console socket) and with stdin streamed. Keys are bytes typed into the
// container's terminal, so ^C is the guest's line discipline at work.

import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { machineShell, type GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { ContainerEngine, type Attached } from '../../src/containers/engine/containers.ts';
import { ImageStore } from '../../src/containers/store/image-store.ts';

/** Everything an attached container printed so far, and a way to wait for a pattern in it. */
function watch(a: Attached) {
  let out = '';
  const waiters: (() => void)[] = [];
  const take = (b: Uint8Array) => {
    out += new TextDecoder().decode(b);
    for (const w of waiters.splice(0)) w();
  };
  a.session.on('stdout', take).on('stderr', take);
  return {
    text: () => out,
    async seen(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
      const deadline = Date.now() + timeoutMs;
      for (let m = re.exec(out); ; m = re.exec(out)) {
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`${re} not seen; the container printed: ${JSON.stringify(out.slice(-500))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

describe('attached containers', () => {
  let guest: GuestShell;
  let engine: ContainerEngine;

  beforeAll(async () => {
    guest = machineShell(await bootDefaultGuest());
    engine = new ContainerEngine(guest, ImageStore.open(mkdtempSync(join(tmpdir(), 'glassbox-home-'))));
  }, 120_000);

  it('run with a tty: a shell on /dev/pts/N of the size given, resized, ^C reaching its foreground job, exit code out', async () => {
    const a = await engine.runAttached('busybox', { cmd: ['sh'], tty: { rows: 30, cols: 100 }, rm: true });
    const w = watch(a);
    await a.session.write('tty; stty size; echo "term=$TERM"\r');
    const m = await w.seen(/(\/dev\/pts\/\d+)\r\n(\d+ \d+)\r\nterm=(\S+)\r\n/);
    expect([m[2], m[3]]).toEqual(['30 100', 'xterm']);

    a.session.resize({ rows: 45, cols: 140 });
    await a.session.write('stty size\r');
    await w.seen(/45 140\r\n/);

    // sleep is the foreground job: ^C kills it (status 130), the shell lives on and answers.
    // The ^C waits until sleep runs: typed while the shell's line editor still has the
    // terminal raw (it echoes the Enter before putting the terminal back, the same guest
    // instant the host sees the echo), ^C is just a byte of input, as on any terminal.
    await a.session.write('sleep 100000\r');
    await w.seen(/sleep 100000\r\n/);
    for (const deadline = Date.now() + 60_000; !(await engine.top(a.id)).some((p) => p.args === 'sleep 100000'); ) {
      if (Date.now() > deadline) throw new Error('sleep 100000 did not start in the container within 60 s');
    }
    await a.session.write(Uint8Array.of(0x03));
    await a.session.write('echo "after ^C: $?"\r');
    await w.seen(/after \^C: 130\r\n/);

    await a.session.write('exit 3\r');
    expect(await a.exitCode).toBe(3);
    expect(await engine.ps(true)).toEqual([]); // --rm
  }, 180_000);

  it('exec with a tty in a running container: its own terminal, the size given, its exit code', async () => {
    await engine.run('busybox', { cmd: ['sleep', '100000'], detach: true, name: 'bg' });
    const a = await engine.execAttached('bg', ['sh', '-c', 'tty; stty size; exit 4'], { rows: 20, cols: 70 });
    const w = watch(a);
    expect(await a.exitCode).toBe(4);
    expect(w.text()).toMatch(/^\/dev\/pts\/\d+\r\n20 70\r\n$/);
    await engine.rm('bg', true);
  }, 120_000);

  it('run -i without a tty: stdin streamed in pieces to the container, output live and in the logs', async () => {
    const a = await engine.runAttached('busybox', { cmd: ['sh', '-c', 'wc -c; echo to-stderr >&2; exit 5'], name: 'wc' });
    const w = watch(a);
    for (let i = 0; i < 10; i++) await a.session.write(new Uint8Array(20_000).fill(0x30 + i));
    a.session.end();
    expect(await a.exitCode).toBe(5);
    expect(w.text()).toMatch(/^200000\n|to-stderr\n200000\n/);
    expect(await engine.logs('wc')).toEqual({ stdout: '200000\n', stderr: 'to-stderr\n' });
    expect((await engine.inspect('wc')).state).toMatchObject({ status: 'exited', exitCode: 5 });
    await engine.rm('wc');
  }, 120_000);
});
