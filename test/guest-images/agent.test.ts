// The guest agent's protocol, driven by the reference codec in
// src/agent/protocol.ts against the static i386 agent binary of the committed
// initramfs in stdio mode ("-": frames on stdin/stdout). Where this host runs
// 32-bit x86 programs the binary runs natively (QEMU is not needed); where it
// cannot, the same binary runs in stdio mode inside the booted guest, its
// stdin and stdout carried by the guest's own agent (Machine.spawn). The
// frames, and so every claim below, are the same either way.

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentClient,
  ErrorCode,
  FrameDecoder,
  FrameType,
  crc32,
  decodeError,
  decodeExit,
  decodeHello,
  encodeExec,
  encodeFrame,
  ExecFlag,
  Feature,
  type ExecResult,
  type Frame,
} from '../../src/agent/protocol.ts';
import { AgentSession } from '../../src/agent/session.ts';
import { newcFiles } from '../../src/boot/newc-cpio.ts';
import type { Machine } from '../../src/api/index.ts';
import { bootDefaultGuest } from '../../src/containers/engine/boot.ts';
import { native32 } from '../support/host-features.ts';
import { until, within } from '../support/deadline.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const AGENT_PATH = 'usr/sbin/glassbox-agent';
const NATIVE = native32();
const WHERE = NATIVE.ok ? 'natively on this host' : 'inside the booted guest';
if (!NATIVE.ok) console.warn(`guest agent protocol test: runs the agent inside the guest, not natively: ${NATIVE.reason}`);
/** Inside the guest every byte crosses two emulated UARTs and an emulated CPU: waits scale by this. */
const PATIENCE = NATIVE.ok ? 1 : 12;
const WAIT_MS = 10_000 * PATIENCE;
/** A test's own deadline: in the guest, 1 MB of stdin alone takes a minute or more. */
const TEST_MS = NATIVE.ok ? 120_000 : 360_000;

/** The agent's stdin and stdout, wherever it runs, and that place's clock. */
interface Line {
  write(bytes: Uint8Array): void;
  close(): void;
  /** Milliseconds on the clock the agent runs by (the host's, or guest time). */
  now(): number;
}
type OpenLine = (onData: (bytes: Uint8Array) => void, slow: boolean) => Promise<Line>;

/** The binary as a host process; slow: read at most 4 KiB every 20 ms, so its pipe fills like a slow serial line. */
function nativeLine(bin: string): OpenLine {
  return async (onData, slow) => {
    const proc = spawn(bin, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let timer: ReturnType<typeof setInterval> | undefined;
    if (!slow) proc.stdout.on('data', (d: Buffer) => onData(new Uint8Array(d)));
    else {
      timer = setInterval(() => {
        const c: Buffer | null = proc.stdout.read(4096) ?? proc.stdout.read();
        if (c) onData(new Uint8Array(c));
      }, 20);
    }
    return {
      write: (b) => proc.stdin.write(b),
      close: () => {
        clearInterval(timer);
        proc.stdin.end();
        proc.kill();
      },
      now: () => Date.now(),
    };
  };
}

/**
 * The binary started by the guest's own agent. The guest's serial line is
 * itself the slow line: the agent under test fills its stdout pipe faster
 * than the guest's agent forwards it over the emulated UART.
 */
function guestLine(machine: Machine): OpenLine {
  return async (onData) => {
    const s = await machine.spawn(`exec /${AGENT_PATH} -`);
    s.on('stdout', onData);
    s.exit.catch(() => {}); // killed at close(), or ended with the machine
    return { write: (b) => void s.write(b), close: () => s.kill(9), now: () => machine.pc.nowNs() / 1e6 };
  };
}

class TestedAgent {
  frames: Frame[] = [];
  private decoder = new FrameDecoder();
  client: AgentClient;
  private line?: Line;

  private constructor() {
    this.client = new AgentClient((b) => this.line!.write(b));
  }

  /** An agent on a new line, once it has said HELLO. */
  static async start(open: OpenLine, slow = false): Promise<TestedAgent> {
    const a = new TestedAgent();
    a.line = await open((bytes) => {
      a.client.feed(bytes);
      a.frames.push(...a.decoder.push(bytes));
    }, slow);
    await within(a.client.ready(false), WAIT_MS, `the HELLO_REPLY of the agent started ${WHERE}`);
    return a;
  }

  write(b: Uint8Array): void {
    this.line!.write(b);
  }

  now(): number {
    return this.line!.now();
  }

  exec(command: string, opts: { stdin?: Uint8Array; timeoutMs?: number } = {}): Promise<ExecResult> {
    return within(this.client.exec(command, opts), WAIT_MS * 3, `the EXIT of ${JSON.stringify(command)} from the agent ${WHERE}`);
  }

  async waitFor(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
    let found: Frame | undefined;
    await until(`${what} from the agent ${WHERE}`, () => (found = this.frames.find(pred)) !== undefined, WAIT_MS, 20);
    return found!;
  }

  close(): void {
    this.line?.close();
  }
}

let dir: string;
let machine: Machine | undefined;
let open: OpenLine;
let agent: TestedAgent;

beforeAll(async () => {
  if (NATIVE.ok) {
    dir = mkdtempSync(join(tmpdir(), 'gb-agent-'));
    const files = newcFiles(gunzipSync(readFileSync(join(ROOT, 'guest-images/dist/initramfs.cpio.gz'))));
    const agentBin = files.get(AGENT_PATH);
    if (!agentBin) throw new Error(`${AGENT_PATH} missing from the initramfs`);
    const bin = join(dir, 'glassbox-agent');
    writeFileSync(bin, agentBin);
    chmodSync(bin, 0o755);
    open = nativeLine(bin);
  } else {
    // The booted guest from the snapshot the engine caches: this tests the agent, not a boot.
    machine = await bootDefaultGuest();
    open = guestLine(machine);
  }
  agent = await TestedAgent.start(open);
});

afterAll(() => {
  agent?.close();
  machine?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe(`guest agent protocol (the i386 agent in stdio mode, ${WHERE})`, { timeout: TEST_MS }, () => {
  it('CRC-32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('announces itself with HELLO_REPLY, protocol version 1', async () => {
    const f = await agent.waitFor((f) => f.type === FrameType.HELLO_REPLY && f.id === 0, 'the start-up HELLO_REPLY');
    const h = decodeHello(f.payload);
    expect(h).toEqual({ version: 1, features: Feature.STREAM_STDIN | Feature.PTY, maxPayload: 65536, maxJobs: 16, name: 'glassbox-agent' });
  });

  it('answers a HELLO ping with the same id', async () => {
    agent.write(encodeFrame(FrameType.HELLO, 4242));
    const f = await agent.waitFor((f) => f.type === FrameType.HELLO_REPLY && f.id === 4242, 'the HELLO_REPLY to ping 4242');
    expect(decodeHello(f.payload).version).toBe(1);
  });

  it('runs a command with /bin/sh -c and returns stdout, stderr and the exit code', async () => {
    const r = await agent.exec('echo out; echo err >&2; exit 3');
    expect(text(r.stdout)).toBe('out\n');
    expect(text(r.stderr)).toBe('err\n');
    expect(r.exitCode).toBe(3);
    expect(r.signal).toBe(0);
  });

  it('feeds stdin bytes (8-bit clean) and closes it', async () => {
    const input = new Uint8Array(60000);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 8)) & 0xff;
    const r = await agent.exec('cat', { stdin: input });
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout).equals(Buffer.from(input))).toBe(true);
  });

  it('copes with a command that never reads its stdin', async () => {
    const r = await agent.exec('sleep 0.2; echo ignored', { stdin: new Uint8Array(65000).fill(0x41) });
    expect(text(r.stdout)).toBe('ignored\n');
    expect(r.exitCode).toBe(0);
  });

  it('streams lots of output in chunks of at most 4096 bytes', async () => {
    const before = agent.frames.length;
    const r = await agent.exec("head -c 3000000 /dev/zero | tr '\\0' x");
    expect(r.stdout.length).toBe(3_000_000);
    expect(r.stdout.every((b) => b === 0x78)).toBe(true);
    const chunks = agent.frames.slice(before).filter((f) => f.type === FrameType.STDOUT);
    expect(Math.max(...chunks.map((f) => f.payload.length))).toBeLessThanOrEqual(4096);
  });

  it(
    'forwards all output buffered at exit even when the line is slow',
    async () => {
      const slow = await TestedAgent.start(open, true);
      try {
        const r = await slow.exec("head -c 300000 /dev/zero | tr '\\0' y");
        expect(r.stdout.length).toBe(300_000);
        expect(r.exitCode).toBe(0);
      } finally {
        slow.close();
      }
    },
    30_000 * PATIENCE,
  );

  it('kills a command at its timeout and says so', async () => {
    const r = await agent.exec('sleep 30', { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe(9);
    expect(r.exitCode).toBe(128 + 9);
    expect(r.elapsedMs).toBeLessThan(5000);
  });

  it('delivers SIGNAL to a running command', async () => {
    const id = 900;
    agent.write(encodeExec(id, 'echo started; sleep 30'));
    await agent.waitFor((f) => f.type === FrameType.STDOUT && f.id === id, `the STDOUT of request ${id}`);
    agent.write(encodeFrame(FrameType.SIGNAL, id, Uint8Array.of(15, 0, 0, 0)));
    const f = await agent.waitFor((f) => f.type === FrameType.EXIT && f.id === id, `the EXIT of request ${id} after SIGNAL 15`);
    expect(decodeExit(f.payload)).toMatchObject({ exitCode: -1, signal: 15, timedOut: false });
  });

  it('does not wait for background processes that keep stdout open', async () => {
    // Its EXIT comes well before the agent's last resort (EXIT 30 s after the shell's exit,
    // DRAIN_MAX_MS in agent.c), let alone the end of the sleep; in the guest a round trip alone takes seconds.
    const t0 = agent.now();
    const r = await agent.exec('sleep 60 & echo done');
    expect(text(r.stdout)).toBe('done\n');
    expect(agent.now() - t0).toBeLessThan(15_000);
  });

  it('runs several commands concurrently', async () => {
    const rs = await Promise.all([1, 2, 3, 4, 5].map((n) => agent.exec(`sleep 0.${n}; echo ${n}`)));
    expect(rs.map((r) => text(r.stdout))).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
  });

  it('rejects a corrupted frame with BAD_CRC and resynchronises on the next magic', async () => {
    const bad = encodeExec(501, 'echo never');
    bad[bad.length - 1] ^= 0xff;
    agent.write(Uint8Array.of(0x00, 0xf7, 0x47, 0x13, 0x37)); // noise, including a false magic start
    agent.write(bad);
    const e = await agent.waitFor((f) => f.type === FrameType.ERROR && f.id === 501, 'the ERROR for the corrupted request 501');
    expect(decodeError(e.payload).code).toBe(ErrorCode.BAD_CRC);
    const r = await agent.exec('echo after');
    expect(text(r.stdout)).toBe('after\n');
    expect(agent.frames.some((f) => f.id === 501 && f.type === FrameType.STDOUT)).toBe(false);
  });

  it('rejects an oversized length with BAD_LENGTH and recovers', async () => {
    const hdr = encodeFrame(FrameType.EXEC, 502, new Uint8Array(12)).slice(0, 14);
    new DataView(hdr.buffer).setUint32(10, 0x7fffffff, true);
    agent.write(hdr);
    const e = await agent.waitFor((f) => f.type === FrameType.ERROR && f.id === 502, 'the ERROR for the oversized request 502');
    expect(decodeError(e.payload).code).toBe(ErrorCode.BAD_LENGTH);
    expect(text((await agent.exec('echo ok')).stdout)).toBe('ok\n');
  });

  it('answers malformed requests and unknown types with ERROR', async () => {
    agent.write(encodeFrame(FrameType.EXEC, 503, Uint8Array.of(1, 2, 3)));
    agent.write(encodeFrame(0x55, 504));
    agent.write(encodeFrame(FrameType.SIGNAL, 505, Uint8Array.of(9, 0, 0, 0)));
    const codes = await Promise.all(
      [503, 504, 505].map(async (id) => decodeError((await agent.waitFor((f) => f.type === FrameType.ERROR && f.id === id, `the ERROR for request ${id}`)).payload).code),
    );
    expect(codes).toEqual([ErrorCode.MALFORMED, ErrorCode.UNKNOWN_TYPE, ErrorCode.UNKNOWN_ID]);
  });

  it('rejects a duplicate id while the first command runs', async () => {
    agent.write(encodeExec(600, 'sleep 0.5'));
    agent.write(encodeExec(600, 'echo dup'));
    const e = await agent.waitFor((f) => f.type === FrameType.ERROR && f.id === 600, 'the ERROR for the duplicate id 600');
    expect(decodeError(e.payload).code).toBe(ErrorCode.DUPLICATE_ID);
    await agent.waitFor((f) => f.type === FrameType.EXIT && f.id === 600, 'the EXIT of the first request 600');
  });
});

/** A session on the agent under test whose output accumulates as text; `seen` waits for a pattern in it. */
function session(command: string, opts: ConstructorParameters<typeof AgentSession>[2] = {}) {
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const s = new AgentSession(agent.client, command, opts, {
    stdout: (b) => {
      out += text(b);
      for (const w of waiters.splice(0)) w();
    },
    stderr: (b) => (err += text(b)),
  });
  const seen = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + WAIT_MS;
    while (!re.test(out)) {
      if (Date.now() > deadline)
        throw new Error(`${re} not seen from ${JSON.stringify(command)} run by the agent ${WHERE} within ${WAIT_MS / 1000} s; output so far: ${JSON.stringify(out)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return out;
  };
  const exit = () => within(s.exit, WAIT_MS * 3, `the EXIT of ${JSON.stringify(command)} from the agent ${WHERE}`);
  const write = (b: Uint8Array) => within(s.write(b), WAIT_MS, `room in the stdin window of ${JSON.stringify(command)} (STDIN_ACK from the agent ${WHERE})`);
  return { s, seen, exit, write, out: () => out, err: () => err };
}

describe('guest agent protocol extension: streamed stdin and ptys', { timeout: TEST_MS }, () => {
  // Host to guest, the emulated UART carries some 50 KB/s: there 1 MB (16 windows) proves the flow control as well.
  const STREAMED = NATIVE.ok ? 5_000_000 : 1_000_000;
  it(`streams ${STREAMED / 1e6} MB of stdin to a slow reader within the 64 KiB window`, async () => {
    const acks: number[] = [];
    const before = agent.frames.length;
    const { s, out, write, exit } = session('sleep 0.5; wc -c; echo done >&2');
    for (let i = 0; i < STREAMED / 50_000; i++) await write(new Uint8Array(50_000).fill(i));
    s.end();
    const end = await exit();
    expect(end.exitCode).toBe(0);
    expect(out().trim()).toBe(String(STREAMED));
    for (const f of agent.frames.slice(before)) if (f.type === FrameType.STDIN_ACK) acks.push(new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true));
    expect(acks.reduce((a, b) => a + b, 0)).toBe(STREAMED);
    expect(agent.client.errors.filter((e) => e.code === ErrorCode.STREAM_REFUSED)).toEqual([]);
  });

  it('acknowledges stdin a command closed without reading, so the writer never stalls', async () => {
    const { s, out, write, exit } = session('head -c 3');
    for (let i = 0; i < 10; i++) await write(new Uint8Array(40_000).fill(0x61));
    s.end();
    expect((await exit()).exitCode).toBe(0);
    expect(out()).toBe('aaa');
  });

  it('gives a pty: tty names it, stty size shows the size asked for, RESIZE is seen with SIGWINCH', async () => {
    const { s, seen, write, exit } = session('tty; stty size; trap "stty size" WINCH; echo ready; until read line; do :; done; echo "read $line"; exit 7', {
      tty: { rows: 33, cols: 101 },
    });
    expect(await seen(/ready/)).toMatch(/^\/dev\/pts\/\d+\r\n33 101\r\n/);
    s.resize({ rows: 40, cols: 132 });
    await seen(/40 132/);
    await write(new TextEncoder().encode('hello\r'));
    expect(await seen(/read hello/)).toContain('hello\r\n'); // the line discipline echoes and maps CR to NL
    expect((await exit()).exitCode).toBe(7);
  });

  it('turns a ^C byte into SIGINT for the foreground job, not for the shell', async () => {
    const { seen, write, exit } = session('exec sh -i', { tty: { rows: 24, cols: 80 } });
    await write(new TextEncoder().encode('sleep 100\r'));
    await seen(/sleep 100\r\n/);
    await new Promise((r) => setTimeout(r, 300));
    await write(Uint8Array.of(0x03));
    await seen(/\^C/);
    // the shell is still there to report how its child ended
    await write(new TextEncoder().encode('echo "sleep ended $?"\r'));
    await seen(/sleep ended 130/);
    await write(new TextEncoder().encode('exit 5\r'));
    expect((await exit()).exitCode).toBe(5);
  });

  it('refuses stream frames a command cannot take without ending it, and unknown EXEC flags', async () => {
    const id = 700;
    agent.write(encodeExec(id, 'sleep 0.3; echo fine'));
    agent.write(encodeFrame(FrameType.STDIN, id, Uint8Array.of(1)));
    agent.write(encodeFrame(FrameType.RESIZE, id, Uint8Array.of(1, 0, 1, 0)));
    const exit = await agent.waitFor((f) => f.type === FrameType.EXIT && f.id === id, `the EXIT of request ${id}`);
    expect(decodeExit(exit.payload).exitCode).toBe(0);
    const errors = agent.frames.filter((f) => f.type === FrameType.ERROR && f.id === id).map((f) => decodeError(f.payload).code);
    expect(errors).toEqual([ErrorCode.STREAM_REFUSED, ErrorCode.STREAM_REFUSED]);
    agent.write(encodeExec(701, 'true', { flags: 0x80 }));
    agent.write(encodeExec(702, 'true', { flags: ExecFlag.CONSOLE_SOCKET }));
    for (const bad of [701, 702]) {
      const e = await agent.waitFor((f) => f.type === FrameType.ERROR && f.id === bad, `the ERROR for request ${bad}`);
      expect(decodeError(e.payload).code).toBe(ErrorCode.MALFORMED);
    }
  });
});
