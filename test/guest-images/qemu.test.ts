// Boots the committed guest kernel and initramfs in qemu-system-i386 (TCG, no
// KVM) and checks, from what the guest really prints: the shell on ttyS0, the
// guest agent on ttyS1, and crun running a container from the base OCI image
// in its own namespaces with cgroup v2 limits that bite (memory.max -> OOM
// kill in memory.events, pids.max -> fork bomb contained). This validates the
// images independently of glassbox's own CPU emulator.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src/agent/protocol.ts';
import { CONTAINER_MOUNTS } from '../../src/containers/engine/bundle.ts';
import type { GuestShell } from '../../src/containers/engine/guest-shell.ts';
import { ensureLayers } from '../../src/containers/engine/layers.ts';
import { LayoutSource } from '../../src/containers/store/layout-source.ts';
import { until, within } from '../support/deadline.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const DIST = join(ROOT, 'guest-images/dist');
const QEMU = 'qemu-system-i386';
const haveQemu = spawnSync(QEMU, ['--version']).status === 0;
if (!haveQemu) console.warn(`guest-images QEMU test skipped: ${QEMU} is not installed (Debian package qemu-system-x86)`);

/** The console on COM1 and, for a harness, reboot (= QEMU exits, -no-reboot) on a panic (guest-images/README.md). */
const CMDLINE = 'console=ttyS0 panic=-1';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

class Guest {
  qemu!: ChildProcess;
  console = '';
  agent!: AgentClient;
  sock!: Socket;
  bootMs = 0;
  private dir = mkdtempSync(join(tmpdir(), 'gb-qemu-'));
  private listeners: (() => void)[] = [];

  constructor(private cpu = 'pentium2') {}

  async start(): Promise<void> {
    const agentSock = join(this.dir, 'agent.sock');
    const t0 = Date.now();
    this.qemu = spawn(
      QEMU,
      [
        '-accel',
        'tcg',
        '-cpu',
        this.cpu,
        '-m',
        '256',
        '-nodefaults',
        '-display',
        'none',
        '-no-reboot',
        '-kernel',
        join(DIST, 'bzImage'),
        '-initrd',
        join(DIST, 'initramfs.cpio.gz'),
        '-append',
        CMDLINE,
        '-serial',
        'stdio',
        '-chardev',
        `socket,id=agent,path=${agentSock},server=on,wait=off`,
        '-serial',
        'chardev:agent',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.qemu.stdout!.on('data', (d: Buffer) => {
      this.console += d.toString('latin1');
      for (const l of this.listeners.splice(0)) l();
    });
    this.qemu.stderr!.on('data', (d: Buffer) => {
      this.console += `[qemu stderr] ${d}`;
    });
    this.qemu.on('exit', (code) => {
      this.console += `\n[qemu exited ${code}]\n`;
      for (const l of this.listeners.splice(0)) l();
    });
    await this.waitConsole(/glassbox: init done/, 120_000);
    this.bootMs = Date.now() - t0;
    await until(`QEMU's socket for the guest agent's ttyS1 (${agentSock})`, () => existsSync(agentSock), 10_000, 50);
    this.sock = connect(agentSock);
    this.agent = new AgentClient((b) => this.sock.write(b));
    this.sock.on('data', (d: Buffer) => this.agent.feed(new Uint8Array(d)));
    await within(new Promise<void>((r) => this.sock.once('connect', () => r())), 10_000, `a connection to QEMU's agent socket ${agentSock}`);
  }

  /** Waits until the console output (from `from` on) matches; returns the match. */
  async waitConsole(re: RegExp, timeoutMs = 30_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.console.slice(from).match(re);
      if (m) return m;
      if (Date.now() > deadline || this.qemu.exitCode !== null) {
        throw new Error(`console never matched ${re}; console so far:\n${this.console.slice(-4000)}`);
      }
      await new Promise<void>((r) => {
        this.listeners.push(r);
        setTimeout(r, 200);
      });
    }
  }

  typeLine(line: string): number {
    const from = this.console.length;
    this.qemu.stdin!.write(`${line}\n`);
    return from;
  }

  /** The agent as the container engine's GuestShell, so the engine's own guest scripts run here as in glassbox. */
  shell(): GuestShell {
    return {
      run: async (command, opts = {}) => {
        const r = await this.sh(command.text, opts);
        return { exitCode: r.code, stdout: r.out, stderr: r.err };
      },
    };
  }

  async sh(command: string, opts: { stdin?: Uint8Array | string; timeoutMs?: number } = {}) {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    // The agent kills the command at timeoutMs; its EXIT may take a little longer over the UART.
    const r = await within(
      this.agent.exec(command, { timeoutMs, stdin: opts.stdin }),
      timeoutMs + 30_000,
      `the EXIT of ${JSON.stringify(command.slice(0, 60))} from the agent in QEMU`,
    );
    return { code: r.exitCode, out: text(r.stdout), err: text(r.stderr) };
  }

  stop(): void {
    this.sock?.destroy();
    if (this.qemu && this.qemu.exitCode === null) this.qemu.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The container's init: reports its view, then triggers both cgroup limits. */
const CONTAINER_SCRIPT = `
echo "pid=$$"
echo "hostname=$(hostname)"
echo "links=$(ip -o link show | cut -d: -f2 | tr -d ' ' | tr '\\n' ',')"
for n in pid mnt uts ipc net cgroup; do echo "ns.$n=$(readlink /proc/self/ns/$n)"; done
echo "cgroup=$(cat /proc/self/cgroup)"
echo "memory.max=$(cat /sys/fs/cgroup/memory.max)"
echo "pids.max=$(cat /sys/fs/cgroup/pids.max)"
awk 'BEGIN { s = "0123456789abcdef"; while (1) s = s s }'
echo "hog.status=$?"
echo "memory.events.oom_kill=$(grep '^oom_kill ' /sys/fs/cgroup/memory.events | cut -d' ' -f2)"
(sleep 3; kill -9 -1; sleep 0.2; kill -9 -1; kill -9 -1) &
bomb() { bomb | bomb & }
bomb 2>/dev/null
wait 2>/dev/null
echo "pids.events.max=$(grep '^max ' /sys/fs/cgroup/pids.events | cut -d' ' -f2)"
touch /tmp/ready
while [ ! -e /tmp/release ]; do sleep 0.1; done
echo "container done"
`;

function bundleConfig(script: string): string {
  const caps = [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_FSETID',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_NET_RAW',
    'CAP_SYS_CHROOT',
  ];
  return JSON.stringify({
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/sh', '-c', script],
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'box1',
    mounts: CONTAINER_MOUNTS,
    linux: {
      cgroupsPath: '/gb-c1',
      resources: {
        memory: { limit: 24 * 1024 * 1024 },
        pids: { limit: 24 },
        cpu: { quota: 50000, period: 100000 },
      },
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }, { type: 'cgroup' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  });
}

function fields(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) r[line.slice(0, i)] = line.slice(i + 1);
  }
  return r;
}

describe.skipIf(!haveQemu)('guest images boot in qemu-system-i386 (TCG)', () => {
  const g = new Guest();

  beforeAll(async () => {
    await g.start();
  }, 180_000);

  afterAll(() => g.stop());

  it('boots to the init marker and a shell prompt on ttyS0', async () => {
    console.log(`guest-images: QEMU TCG boot to "glassbox: init done" took ${g.bootMs} ms`);
    expect(g.console).toMatch(/Linux version 6\.1\.\d+/);
    await g.waitConsole(/\n\/ # /, 30_000);
    const from = g.typeLine('echo "answer=$((6*7))"; hostname');
    // The kernel shares the console: its messages (the switch to the TSC
    // clocksource lands about now under a loaded host) may come between the two lines.
    await g.waitConsole(/answer=42\r?\n(?:\[ *\d+\.\d+\][^\n]*\n)*glassbox\r?\n/, 30_000, from);
  });

  it('the guest agent answers on ttyS1', async () => {
    const hello = await within(g.agent.ready(), 30_000, 'the HELLO_REPLY of the agent in QEMU');
    expect(hello).toMatchObject({ version: 1, name: 'glassbox-agent' });
    const r = await g.sh('uname -m; hostname; cat /sys/fs/cgroup/cgroup.subtree_control; echo "$PATH $HOME $(pwd)"; echo oops >&2; exit 7');
    expect(r.code).toBe(7);
    expect(r.err).toBe('oops\n');
    const [arch, host, controllers, env] = r.out.split('\n');
    expect(env).toBe('/usr/sbin:/usr/bin:/sbin:/bin /root /');
    expect(arch).toMatch(/^i[3-6]86$/);
    expect(host).toBe('glassbox');
    for (const c of ['cpu', 'io', 'memory', 'pids']) expect(controllers.split(' ')).toContain(c);
  });

  it('the agent link over the real UART is 8-bit clean both ways and carries bulk output', async () => {
    const input = new Uint8Array(40000);
    for (let i = 0; i < input.length; i++) input[i] = (i * 131 + (i >> 8)) & 0xff; // every byte value, CR/LF/^C/^D/XON/XOFF included
    const r = await g.agent.exec('cat', { stdin: input, timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout).equals(Buffer.from(input))).toBe(true);
    const big = await g.agent.exec("head -c 300000 /dev/zero | tr '\\0' z", { timeoutMs: 60_000 });
    expect(big.stdout.length).toBe(300000);
    expect(big.stdout.every((b) => b === 0x7a)).toBe(true);
  });

  it('user namespaces work too (unshare -U -r)', async () => {
    const r = await g.sh('readlink /proc/self/ns/user; unshare -U -r sh -c "id -u; readlink /proc/self/ns/user"');
    const [outer, uid, inner] = r.out.trim().split('\n');
    expect(uid).toBe('0');
    expect(inner).toMatch(/^user:\[\d+\]$/);
    expect(inner).not.toBe(outer);
  });

  it('crun runs the base OCI image in new namespaces with cgroup v2 limits enforced', async () => {
    // The base image the initramfs ships, its layers unpacked by the engine's own unpacker (digests checked in the guest).
    const layout = join(DIST, 'oci/busybox');
    const source = new LayoutSource(async (p) => new Uint8Array(readFileSync(join(layout, p))), layout);
    const image = await source.image('busybox');
    const layers = await ensureLayers(g.shell(), source, image.layers, image.diffIds, new Map());
    const lower = [...layers].reverse().join(':');
    // a veth pair on the host side, so "only lo" inside the container means something
    const setup = await g.sh(
      [
        'set -e',
        // busybox ip cannot name a veth peer: the kernel calls it veth0
        'ip link add gbv0 type veth',
        'ip link add gbbr0 type bridge',
        'brctl addif gbbr0 veth0',
        'echo "bridge.ports=$(ls /sys/class/net/gbbr0/brif)"',
        'mkdir -p /run/c1/rootfs /run/c1/upper /run/c1/work',
        `mount -t overlay overlay -o lowerdir=${lower},upperdir=/run/c1/upper,workdir=/run/c1/work /run/c1/rootfs`,
        'cat > /run/c1/config.json',
        'for n in pid mnt uts ipc net cgroup; do echo "ns.$n=$(readlink /proc/self/ns/$n)"; done',
        "echo \"links=$(ip -o link show | cut -d: -f2 | tr -d ' ' | tr '\\n' ',')\"",
        'crun --version | head -n 1',
      ].join('\n'),
      { stdin: bundleConfig(CONTAINER_SCRIPT) },
    );
    expect(setup.err).toBe('');
    expect(setup.code).toBe(0);
    const host = fields(setup.out);
    expect(host.links).toContain('gbv0');
    expect(host['bridge.ports']).toBe('veth0');
    expect(setup.out).toMatch(/crun version 1\.8/);

    const run = g.sh('crun run --bundle /run/c1 c1', { timeoutMs: 120_000 });
    // while the container waits, look at its cgroup from the host side
    const outside = await g.sh(
      'until [ -e /run/c1/rootfs/tmp/ready ]; do sleep 0.1; done; cd /sys/fs/cgroup/gb-c1 && ' +
        'echo "memory.max=$(cat memory.max)"; echo "pids.max=$(cat pids.max)"; echo "cpu.max=$(cat cpu.max)"; ' +
        'echo "oom_kill=$(grep "^oom_kill " memory.events | cut -d" " -f2)"; echo "state=$(crun state c1 | grep -o \'"status": *"[a-z]*"\')"; ' +
        'touch /run/c1/rootfs/tmp/release',
      { timeoutMs: 120_000 },
    );
    const r = await run;
    const inside = fields(r.out);
    expect(r.code, `crun failed:\n${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('container done');

    // pid 1, own hostname, only lo
    expect(inside.pid).toBe('1');
    expect(inside.hostname).toBe('box1');
    expect(inside.links).toBe('lo,');
    // every namespace differs from the host's
    for (const n of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
      expect(inside[`ns.${n}`], n).toMatch(new RegExp(`^${n}:\\[\\d+\\]$`));
      expect(inside[`ns.${n}`], n).not.toBe(host[`ns.${n}`]);
    }
    expect(inside.cgroup).toBe('0::/');
    // limits applied and enforced
    expect(inside['memory.max']).toBe(String(24 * 1024 * 1024));
    expect(inside['pids.max']).toBe('24');
    expect(inside['hog.status']).toBe('137'); // SIGKILL from the OOM killer
    expect(Number(inside['memory.events.oom_kill'])).toBeGreaterThanOrEqual(1);
    expect(Number(inside['pids.events.max'])).toBeGreaterThanOrEqual(1);
    // and the same seen from outside the container
    const o = fields(outside.out);
    expect(o['memory.max']).toBe(String(24 * 1024 * 1024));
    expect(o['pids.max']).toBe('24');
    expect(o['cpu.max']).toBe('50000 100000');
    expect(Number(o.oom_kill)).toBeGreaterThanOrEqual(1);
    expect(o.state).toMatch(/running/);
    // crun removed the container's cgroup when it ended
    expect((await g.sh('test -e /sys/fs/cgroup/gb-c1')).code).toBe(1);
  }, 240_000);

  it('poweroff -f halts the CPU ("reboot: System halted")', async () => {
    const from = g.typeLine('poweroff -f');
    await g.waitConsole(/reboot: System halted/, 30_000, from);
  });
});

describe.skipIf(!haveQemu)('guest kernel on a CPU without an FPU (math emulation)', () => {
  // CPUID without FPU, FXSR and MMX: the kernel finds no FPU, sets CR0.EM and
  // emulates the x87 instructions of the (i686, non-SSE) userland itself.
  const g = new Guest('pentium2,-fpu,-fxsr,-mmx');

  beforeAll(async () => {
    await g.start();
  }, 180_000);

  afterAll(() => g.stop());

  it('boots, and floating point in user space gives the right answers', async () => {
    expect(g.console).toContain('x86/fpu: No FPU detected');
    await g.waitConsole(/\n\/ # /, 30_000);
    const from = g.typeLine(`awk 'BEGIN { x = 1; for (i = 1; i <= 20; i++) x = x / 3 + 0.5; printf "fp=%.9f %d\\n", x, 7 / 2 * 1000 }'`);
    await g.waitConsole(/fp=0\.750000000 3500/, 30_000, from);
    const r = await g.sh("grep '^fpu[[:space:]]' /proc/cpuinfo");
    expect(r.out).toMatch(/^fpu\s+: no$/m);
  });
});
