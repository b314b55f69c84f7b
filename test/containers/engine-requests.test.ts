// What the engine takes from a client, without a guest: every line checked
// against the protocol (requests.ts), and lines framed in linear time up to a
// limit (lines.ts). The engine-level tests (engine-hardening.test.ts) send
// the same through a real socket.

import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { parseAttachInput, parseControlCommand, parseRequest } from '../../src/daemon/requests.ts';
import { forEachLine } from '../../src/daemon/lines.ts';

describe('engine requests', () => {
  it('accepts what the CLI sends', () => {
    const ok = [
      { op: 'run', image: 'busybox', options: { name: 'web', env: ['A=1'], workdir: '/tmp', memory: 8 << 20, cpus: 0.5, network: 'none', cmd: ['sh'], detach: true } },
      { op: 'run', image: 'busybox', options: { tty: { rows: 24, cols: 80 } }, attach: true },
      { op: 'ps', all: false },
      { op: 'exec', container: 'web', cmd: ['ls'], attach: true, tty: { rows: 1, cols: 1 } },
      { op: 'kill', container: 'web', signal: 'TERM' },
      { op: 'build', tag: 'x:1', context: '/ctx', dockerfile: 'FROM busybox\n' },
      { op: 'view', request: { view: 'mmu', address: 0xc0000000 } },
      { op: 'trace', request: { kinds: ['syscall'], seconds: 1, follow: false } },
      { op: 'status' },
      { op: 'info' },
      { op: 'pause', container: 'web' },
      { op: 'top', container: 'web' },
      { op: 'exec', container: 'web', cmd: ['pwd'], user: 'nobody', workdir: '/tmp', detach: true },
      { op: 'run', image: 'busybox', options: { labels: { app: 'web' }, entrypoint: 'echo', readOnly: true, tmpfs: ['/scratch'], capAdd: ['NET_ADMIN'], capDrop: ['ALL'] } },
      { op: 'run', image: 'busybox', options: { network: 'app', publish: [{ hostIp: '127.0.0.1', hostPort: 18080, containerPort: 80, protocol: 'tcp' }] } },
      { op: 'port', container: 'web' },
      { op: 'network-create', name: 'app' },
      { op: 'network-ls' },
      { op: 'view', request: { view: 'net', pcapSeconds: 2 } },
    ];
    for (const r of ok) expect(parseRequest(r)).toEqual(r);
    expect(parseAttachInput({ stdin: 'aGk=' })).toEqual({ stdin: 'aGk=' });
    expect(parseControlCommand({ cmd: 'step', count: 3 })).toEqual({ cmd: 'step', count: 3 });
  });

  it('names what is wrong with anything else', () => {
    const bad: [unknown, RegExp][] = [
      [null, /^the request is malformed: Expected object, received null$/],
      [1, /Expected object, received number/],
      [{ op: 'nosuch' }, /at op: Invalid discriminator value/],
      [{ op: 'ps', all: 'yes' }, /at all: Expected boolean, received string/],
      [{ op: 'status', extra: 1 }, /Unrecognized key\(s\) in object: 'extra'/],
      [{ op: 'run', image: 'b', options: { memory: 0 } }, /at options\.memory: the memory limit must be at least 4 MiB/],
      [{ op: 'run', image: 'b', options: { name: '' } }, /at options\.name: a container name starts/],
      [{ op: 'run', image: 'b', options: { workdir: 'rel' } }, /at options\.workdir: the working directory must be an absolute path/],
      [{ op: 'exec', container: 'c', cmd: [] }, /at cmd: Array must contain at least 1/],
      [{ op: 'exec', container: 'c', cmd: ['ls'], workdir: 'tmp' }, /at workdir: the working directory must be an absolute path/],
      [{ op: 'run', image: 'b', options: { tmpfs: ['scratch'] } }, /at options\.tmpfs\.0: a --tmpfs mount point is an absolute path/],
      [{ op: 'run', image: 'b', options: { capAdd: ['NET ADMIN; reboot'] } }, /at options\.capAdd\.0: a capability is a name/],
      [{ op: 'run', image: 'b', options: { labels: { app: 1 } } }, /at options\.labels\.app: Expected string/],
      [{ op: 'pause', container: '' }, /at container/],
      [{ op: 'run', image: 'b', options: { network: '../x' } }, /at options\.network: a network is host, none or the name of one/],
      [{ op: 'run', image: 'b', options: { publish: [{ hostIp: 'localhost', hostPort: 1, containerPort: 80, protocol: 'tcp' }] } }, /host address is IPv4/],
      [{ op: 'run', image: 'b', options: { publish: [{ hostIp: '127.0.0.1', hostPort: 1, containerPort: 0, protocol: 'tcp' }] } }, /containerPort/],
      [{ op: 'run', image: 'b', options: { publish: [{ hostIp: '127.0.0.1', hostPort: 1, containerPort: 80, protocol: 'sctp' }] } }, /protocol/],
    ];
    for (const [msg, re] of bad) expect(() => parseRequest(msg), JSON.stringify(msg)).toThrow(re);
    expect(() => parseAttachInput(1)).toThrow(/^the input line is malformed: it is none of \{ stdin: BASE64 \}/);
    expect(() => parseAttachInput({ stdin: 'not base64!' })).toThrow(/malformed/);
    expect(() => parseControlCommand({ cmd: 'step', count: -1 })).toThrow(/at count/);
  });
});

describe('engine lines', () => {
  const lines = (chunks: Buffer[], maxBytes?: number) => {
    const s = new PassThrough();
    const got: string[] = [];
    let tooLong = false;
    forEachLine(s as unknown as Socket, (l) => got.push(l), { maxBytes, onTooLong: () => (tooLong = true) });
    for (const c of chunks) s.write(c);
    return { got, tooLong };
  };

  it('splits lines across and within chunks', () => {
    expect(lines([Buffer.from('a\nb'), Buffer.from('c\n\nd'), Buffer.from('\n')]).got).toEqual(['a', 'bc', '', 'd']);
    // a multi-byte character split between chunks
    const e = Buffer.from('é\n');
    expect(lines([e.subarray(0, 1), e.subarray(1)]).got).toEqual(['é']);
  });

  it('gives up on a line longer than the limit, whether it ends or not, and takes nothing after it', () => {
    expect(lines([Buffer.alloc(10, 0x61), Buffer.from('\nok\n')], 8)).toEqual({ got: [], tooLong: true });
    expect(lines([Buffer.from('ok\n'), Buffer.alloc(5, 0x61), Buffer.alloc(5, 0x61)], 8)).toEqual({ got: ['ok'], tooLong: true });
    expect(lines([Buffer.from('12345678\n')], 8)).toEqual({ got: ['12345678'], tooLong: false });
  });

  // With each chunk appended to a string searched whole (the framing before), this line took minutes and ran into the test's timeout.
  it('takes a 64 MiB line arriving in 64 KiB chunks', () => {
    const chunk = Buffer.alloc(64 << 10, 0x61);
    const chunks = Array.from({ length: 1024 }, () => chunk).concat(Buffer.from('\n'));
    const { got } = lines(chunks);
    expect(got).toHaveLength(1);
    expect(got[0]!.length).toBe(64 << 20);
  });
});
