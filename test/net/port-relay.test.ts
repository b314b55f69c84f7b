// The relay of a guest port to the page, both of its ends in Node: the
// worker's bridge (guest-port.ts) and the Service Worker's side
// (service-worker/relay.ts) over a real MessageChannel, with a server on a
// streamPair that writes only while the connection holds less than a TCP
// window, as the guest's TCP does against the window the user-mode network
// advertises (tcp-connection.ts: 65535 less what the stream holds). A reader
// that stops must stop the server within a bound, and all of a response of
// several MiB must arrive intact once it reads on. A request's body of
// several MiB streams the other way, read only a bound ahead of what the
// server takes.

import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { concatBytes } from '../../src/bytes.ts';
import { streamPair } from '../../src/net/host-stream.ts';
import { bridgeGuestPort } from '../../src/web/worker/guest-port.ts';
import { relayRequest } from '../../src/web/service-worker/relay.ts';
import { RELAY_WINDOW } from '../../src/web/port-messages.ts';

const TCP_WINDOW = 65535;
const SEGMENT = 1460;
// Plain Uint8Arrays: a Buffer's slice() is a view of its pool, and a view posted on a channel clones its whole buffer.
const BODY = new Uint8Array(randomBytes(8 << 20));

/** A server that answers any request with BODY, sending only into an open window; `sent` counts what it wrote. */
function windowedServer(stream: ReturnType<typeof streamPair>[1]) {
  const head = new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BODY.length}\r\n\r\n`);
  const response = concatBytes([head, BODY]);
  const state = { sent: 0, started: false };
  const pump = () => {
    while (state.started && state.sent < response.length && stream.buffered + SEGMENT <= TCP_WINDOW) {
      const at = state.sent;
      state.sent += Math.min(SEGMENT, response.length - at);
      // Counted before the write: a write the other end takes at once calls drain (this pump) before it returns.
      stream.write(response.subarray(at, state.sent));
    }
    if (state.sent === response.length) stream.end();
  };
  stream.listen({
    data: () => {
      state.started = true;
      pump();
    },
    end: () => {},
    abort: () => {},
    drain: pump,
  });
  return { state, total: response.length, headLength: head.length };
}

test('a reader that stops holds the guest server back within a bound; reading on, all 8 MiB arrive intact', async () => {
  const [caller, server] = streamPair();
  const { port1, port2 } = new MessageChannel();
  bridgeGuestPort(caller, port2, 'its port 80');
  const s = windowedServer(server);
  const response = await relayRequest(port1, 80, { method: 'GET', target: '/big', host: 'localhost:80', headers: [] }, null);
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const first = await reader.read();
  expect(first.done).toBe(false);

  // The reader stops: the server writes on until the window closes behind the relay, then waits.
  await new Promise((r) => setTimeout(r, 500));
  const held = s.state.sent;
  await new Promise((r) => setTimeout(r, 300));
  expect(s.state.sent, 'the server stopped while nobody read').toBe(held);
  // At most the TCP window, the worker's window ahead of credit, and the Service Worker's body queue (and a segment each).
  const bound = TCP_WINDOW + RELAY_WINDOW + 64 * 1024 + 3 * SEGMENT;
  expect(held).toBeLessThanOrEqual(s.headLength + first.value!.length + bound);
  expect(held).toBeLessThan(s.total / 8);

  // Reading on: everything, in order.
  const hash = createHash('sha256').update(first.value!);
  let length = first.value!.length;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    length += value.length;
  }
  expect(length).toBe(BODY.length);
  expect(hash.digest('hex')).toBe(createHash('sha256').update(BODY).digest('hex'));
  port1.close();
  port2.close();
}, 60_000);

test("a request's body of 8 MiB streams to the guest's server: read only as far ahead of what the server takes as a bound, and all of it arrives intact", async () => {
  const [caller, server] = streamPair();
  const { port1, port2 } = new MessageChannel();
  bridgeGuestPort(caller, port2, 'its port 80');
  // The body as the browser hands it over (Blob.stream()), 64 KiB a pull, counting what was pulled.
  const PIECE = 64 * 1024;
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulled >= BODY.length) return c.close();
      c.enqueue(BODY.slice(pulled, (pulled += PIECE)));
    },
  });
  // The server takes nothing at first (a guest whose TCP window is shut), then reads the head and the body and answers with its digest.
  let head = '';
  let bodyLength = 0;
  const hash = createHash('sha256');
  server.pause();
  server.listen({
    data: (bytes) => {
      // The relay writes the head on its own, then the body's pieces.
      if (!head) return void (head = new TextDecoder().decode(bytes));
      hash.update(bytes);
      bodyLength += bytes.length;
      if (bodyLength < BODY.length) return;
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(head)?.[1];
      const answer = `${length} ${hash.digest('hex')}\n`;
      server.write(new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`));
      server.end();
    },
    end: () => {},
    abort: () => {},
    drain: () => {},
  });
  const response = relayRequest(
    port1,
    80,
    { method: 'POST', target: '/sum', host: 'localhost:80', headers: [['content-type', 'application/octet-stream']] },
    { size: BODY.length, stream },
  );

  await new Promise((r) => setTimeout(r, 500));
  const held = pulled;
  await new Promise((r) => setTimeout(r, 300));
  expect(pulled, 'the body was not read on while the server took nothing').toBe(held);
  // The worker's window of bytes not yet taken, and the piece in hand and the one the stream reads ahead.
  expect(held).toBeLessThanOrEqual(RELAY_WINDOW + 2 * PIECE);

  server.resume();
  const r = await response;
  expect(r.status).toBe(200);
  expect(await r.text()).toBe(`${BODY.length} ${createHash('sha256').update(BODY).digest('hex')}\n`);
  port1.close();
  port2.close();
}, 60_000);
