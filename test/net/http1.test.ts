// The Service Worker's HTTP/1.1 client side (src/web/service-worker/http1.ts)
// against Node's HTTP server as the oracle: the server parses the requests
// encodeRequest writes, and the responses it frames (Content-Length,
// chunked, none for HEAD and 204) are read back by the parser, fed all at
// once and byte by byte.

import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeRequest, HttpError, ResponseParser, type ResponseHead } from '../../src/web/service-worker/http1.ts';
import { within } from '../support/deadline.ts';

let server: Server;
let port: number;
const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString() });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/chunked') {
        res.setHeader('x-kind', 'chunked');
        for (let i = 0; i < 5; i++) res.write(`part ${i} `.repeat(300));
        res.end('last');
      } else if (url.pathname === '/empty') {
        res.writeHead(204).end();
      } else {
        const body = `you sent ${req.method} ${req.url} with ${Buffer.concat(parts).length} bytes`;
        res.writeHead(201, 'Made', { 'content-length': Buffer.byteLength(body), 'set-by': 'node' }).end(req.method === 'HEAD' ? undefined : body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

/** The raw bytes the server answers `request` with, up to the end of the connection. */
async function exchange(request: Uint8Array, to = port): Promise<Uint8Array> {
  const socket = connect(to, '127.0.0.1');
  const parts: Buffer[] = [];
  socket.on('data', (d: Buffer) => parts.push(d));
  socket.write(request);
  await within(new Promise((r) => socket.on('close', r)), 10_000, 'the server closing the connection');
  return Buffer.concat(parts);
}

/** What the parser makes of `bytes`, fed in pieces of `step` bytes. */
function parse(method: string, bytes: Uint8Array, step = bytes.length): { head?: ResponseHead; body: string; done: boolean } {
  const out: { head?: ResponseHead; body: string; done: boolean } = { body: '', done: false };
  const decoder = new TextDecoder();
  const p = new ResponseParser(method, { head: (h) => (out.head = h), body: (b) => (out.body += decoder.decode(b, { stream: true })), done: () => (out.done = true) });
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.slice(i, i + step));
  p.end();
  return out;
}

const host = () => `127.0.0.1:${port}`;

describe('HTTP/1.1 against Node http', () => {
  test('a request with a body reaches the server as written; a Content-Length response is read whole, at once and byte by byte', async () => {
    const body = new TextEncoder().encode('a=1&b=2');
    const raw = await exchange(
      encodeRequest(
        {
          method: 'POST',
          target: '/form?x=y',
          host: host(),
          headers: [
            ['Content-Type', 'text/plain'],
            ['Connection', 'keep-alive'],
            ['X-Mine', 'yes'],
          ],
        },
        body,
      ),
    );
    const last = seen.at(-1)!;
    expect([last.method, last.url, last.body, last.headers['x-mine'], last.headers.connection, last.headers.host, last.headers['content-type']]).toEqual([
      'POST',
      '/form?x=y',
      'a=1&b=2',
      'yes',
      'close',
      host(),
      'text/plain',
    ]);
    for (const step of [raw.length, 1]) {
      const r = parse('POST', raw, step);
      expect([r.head?.status, r.head?.statusText, r.done, r.body]).toEqual([201, 'Made', true, 'you sent POST /form?x=y with 7 bytes']);
      expect(r.head?.headers).toContainEqual(['set-by', 'node']);
    }
  });

  test('a chunked response is dechunked, at once and byte by byte', async () => {
    const raw = await exchange(encodeRequest({ method: 'GET', target: '/chunked', host: host(), headers: [] }, null));
    expect(new TextDecoder().decode(raw)).toMatch(/transfer-encoding: chunked/i);
    const expected = [0, 1, 2, 3, 4].map((i) => `part ${i} `.repeat(300)).join('') + 'last';
    for (const step of [raw.length, 1, 7]) {
      const r = parse('GET', raw, step);
      expect([r.head?.status, r.done, r.body.length, r.body === expected]).toEqual([200, true, expected.length, true]);
    }
  });

  test('HEAD and 204 responses have no body, whatever their fields say', async () => {
    const head = parse('HEAD', await exchange(encodeRequest({ method: 'HEAD', target: '/x', host: host(), headers: [] }, null)));
    expect([head.head?.status, head.done, head.body]).toEqual([201, true, '']);
    expect(head.head?.headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1]).not.toBe('0');
    const empty = parse('GET', await exchange(encodeRequest({ method: 'GET', target: '/empty', host: host(), headers: [] }, null)));
    expect([empty.head?.status, empty.done, empty.body]).toEqual([204, true, '']);
  });

  test('a body delimited by the close (an HTTP/1.0 style server) ends with the connection; one cut short is an error', async () => {
    const raw = createServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end')));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      const bytes = await exchange(encodeRequest({ method: 'GET', target: '/', host: host(), headers: [] }, null), (raw.address() as AddressInfo).port);
      expect(parse('GET', bytes, 3)).toMatchObject({ done: true, body: 'until the end' });
    } finally {
      raw.close();
    }
    const cut = new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
    expect(() => parse('GET', cut)).toThrow(HttpError);
    expect(() => parse('GET', new TextEncoder().encode('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP\/1\.x status line/);
  });
});
